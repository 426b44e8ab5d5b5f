package dev.cloudrun.server.compat.jobe;

/** The Jobe API's tests on the local (bubblewrap) backend. */
class LocalJobeApiTest extends JobeApiTest {
    @Override
    String backend() {
        return "local";
    }
}
