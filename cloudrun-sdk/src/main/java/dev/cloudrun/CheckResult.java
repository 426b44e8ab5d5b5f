package dev.cloudrun;

import java.util.Objects;

/**
 * What a {@link Checker} decided about one output.
 *
 * @param verdict {@link Verdict#ACCEPTED}, {@link Verdict#WRONG_ANSWER},
 *     {@link Verdict#PRESENTATION_ERROR} or {@link Verdict#CHECKER_ERROR}
 * @param score the share of the case's points earned, from 0 to 1 (1 when accepted in full, 0 otherwise)
 * @param message why, for people: "line 3: expected `42`, got `41`"; may be empty
 */
public record CheckResult(Verdict verdict, double score, String message) {
    /** Checks the components. */
    public CheckResult {
        Objects.requireNonNull(verdict, "verdict");
        if (verdict != Verdict.ACCEPTED && verdict != Verdict.WRONG_ANSWER && verdict != Verdict.PRESENTATION_ERROR
                && verdict != Verdict.CHECKER_ERROR) {
            throw new IllegalArgumentException("a checker answers ACCEPTED, WRONG_ANSWER, PRESENTATION_ERROR or CHECKER_ERROR, not " + verdict);
        }
        if (!(score >= 0 && score <= 1)) {
            throw new IllegalArgumentException("score must be between 0 and 1, was " + score);
        }
        message = message == null ? "" : message;
    }

    /** @return full marks */
    public static CheckResult accepted() {
        return new CheckResult(Verdict.ACCEPTED, 1, "");
    }

    /**
     * @param score the share of the points earned, from 0 to 1
     * @param message why
     * @return accepted with a partial score
     */
    public static CheckResult partial(double score, String message) {
        return new CheckResult(Verdict.ACCEPTED, score, message);
    }

    /**
     * @param message why
     * @return a wrong answer
     */
    public static CheckResult wrongAnswer(String message) {
        return new CheckResult(Verdict.WRONG_ANSWER, 0, message);
    }

    /**
     * @param message why
     * @return a presentation error
     */
    public static CheckResult presentationError(String message) {
        return new CheckResult(Verdict.PRESENTATION_ERROR, 0, message);
    }

    /**
     * @param message why the checker could not judge
     * @return a checker failure
     */
    public static CheckResult checkerError(String message) {
        return new CheckResult(Verdict.CHECKER_ERROR, 0, message);
    }
}
