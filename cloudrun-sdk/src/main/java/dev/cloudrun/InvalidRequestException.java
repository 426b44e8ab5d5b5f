package dev.cloudrun;

/**
 * A request or configuration value was rejected before anything ran. {@link #field()} names the
 * offending field (for example {@code language}, {@code files[src/../x]} or
 * {@code limits.memoryBytes}) so that callers can show the error next to it.
 */
public class InvalidRequestException extends CloudRunException {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * Creates the exception.
     *
     * @param field the name of the rejected field
     * @param problem what is wrong with it, without repeating the field name
     */
    public InvalidRequestException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /**
     * The name of the rejected field.
     *
     * @return the field name, for example {@code limits.wallTime}
     */
    public String field() {
        return field;
    }
}
