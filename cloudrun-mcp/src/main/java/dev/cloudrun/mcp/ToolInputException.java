package dev.cloudrun.mcp;

/**
 * A tool call the server refuses before anything runs: a bad argument, a cap passed, a session that
 * is not the caller's. It becomes a tool result with {@code isError: true} and this message, so the
 * agent can read it and correct itself.
 */
final class ToolInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ToolInputException(String message) {
        super(message, null, false, false);
    }

    /**
     * @param field the argument at fault, as the tool's input schema names it
     * @param problem what is wrong with it
     */
    static ToolInputException field(String field, String problem) {
        return new ToolInputException(field + ": " + problem);
    }
}
