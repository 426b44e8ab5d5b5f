package dev.cloudrun.server.compat.piston;

/** The Piston facade's kit on the Docker backend: the same behaviour through containers. */
class DockerPistonApiTest extends PistonApiKit {
    @Override
    String backend() {
        return "docker";
    }
}
