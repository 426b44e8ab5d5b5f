package dev.cloudrun.server.compat.piston;

/** The Piston facade's kit on the local (bubblewrap) sandbox. */
class PistonApiTest extends PistonApiKit {
    @Override
    String backend() {
        return "local";
    }
}
