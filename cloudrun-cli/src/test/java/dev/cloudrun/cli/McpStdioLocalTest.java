package dev.cloudrun.cli;

/** {@link McpStdioTck} on the local backend (bubblewrap). */
class McpStdioLocalTest extends McpStdioTck {
    @Override
    String backend() {
        return "local";
    }
}
