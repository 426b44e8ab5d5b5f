package dev.cloudrun.cli;

/** {@link McpStdioTck} on the Docker backend. */
class McpStdioDockerTest extends McpStdioTck {
    @Override
    String backend() {
        return "docker";
    }
}
