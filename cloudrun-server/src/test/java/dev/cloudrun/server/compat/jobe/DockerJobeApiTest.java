package dev.cloudrun.server.compat.jobe;

/** The Jobe API's tests on the Docker backend: the same cases through containers. */
class DockerJobeApiTest extends JobeApiTest {
    @Override
    String backend() {
        return "docker";
    }
}
