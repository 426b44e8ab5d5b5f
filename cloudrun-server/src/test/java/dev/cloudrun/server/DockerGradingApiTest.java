package dev.cloudrun.server;

/** The grading API's tests on the Docker backend: every verdict, layouts, the stream, through containers. */
class DockerGradingApiTest extends GradingApiTest {
    @Override
    String backend() {
        return "docker";
    }
}
