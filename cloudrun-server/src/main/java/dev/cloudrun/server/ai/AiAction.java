package dev.cloudrun.server.ai;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What the user asks the assistant for. */
enum AiAction {
    /** Explain the error and give the complete corrected program. */
    FIX_ERROR(true, true),
    /** Explain the error without rewriting the program. */
    EXPLAIN_ERROR(true, false),
    /** Explain what the program does. */
    EXPLAIN_CODE(false, false),
    /** Suggest improvements and give the complete optimised program. */
    OPTIMIZE(false, true);

    private final boolean needsError;
    private final boolean returnsProgram;

    AiAction(boolean needsError, boolean returnsProgram) {
        this.needsError = needsError;
        this.returnsProgram = returnsProgram;
    }

    /** @return the name on the wire, such as {@code fix_error} */
    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return whether the request must carry the error or the run's output */
    boolean needsError() {
        return needsError;
    }

    /** @return whether the answer ends with a complete program to apply */
    boolean returnsProgram() {
        return returnsProgram;
    }

    static Optional<AiAction> fromWire(String name) {
        return Arrays.stream(values()).filter(action -> action.wireName().equals(name)).findFirst();
    }

    static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(AiAction::wireName).toList());
    }
}
