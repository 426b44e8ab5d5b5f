package dev.cloudrun.server.compat.judge0;

/** The Judge0 API's tests on the Docker backend: the same cases through containers. */
class DockerJudge0ApiTest extends Judge0ApiKit {
    @Override
    String backend() {
        return "docker";
    }
}
