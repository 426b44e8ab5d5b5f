package dev.cloudrun.server.compat.judge0;

/** The Judge0 API's tests on the local (bubblewrap) backend. */
class LocalJudge0ApiTest extends Judge0ApiKit {
    @Override
    String backend() {
        return "local";
    }
}
