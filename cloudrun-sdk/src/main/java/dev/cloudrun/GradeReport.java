package dev.cloudrun;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The judgement of one submission against a {@link TestSuite}.
 *
 * @param verdict {@link Verdict#ACCEPTED} when every case was, otherwise the first failing case's
 *     verdict in suite order ({@link Verdict#COMPILE_ERROR} when it did not compile)
 * @param score the points earned: accepted cases outside groups, plus groups whose cases were all accepted
 * @param maxScore the most points the suite gives
 * @param compilerOutput what the compiler printed (its errors, for a compile error)
 * @param cases one report per case, in suite order
 * @param groupScores the points each group earned, by name
 * @param message a summary, or what went wrong before any case ran
 */
public record GradeReport(Verdict verdict, double score, double maxScore, String compilerOutput,
                          List<CaseReport> cases, Map<String, Double> groupScores, String message) {
    /** Copies the components. */
    public GradeReport {
        Objects.requireNonNull(verdict, "verdict");
        compilerOutput = compilerOutput == null ? "" : compilerOutput;
        cases = List.copyOf(cases);
        groupScores = Map.copyOf(groupScores);
        message = message == null ? "" : message;
    }

    /** @return whether every case was accepted */
    public boolean accepted() {
        return verdict == Verdict.ACCEPTED;
    }

    /**
     * @param name a case's name
     * @return its report
     */
    public Optional<CaseReport> find(String name) {
        return cases.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** @return the first case that was not accepted, in suite order */
    public Optional<CaseReport> firstFailure() {
        return cases.stream().filter(c -> !c.verdict().isAccepted()).findFirst();
    }

    @Override
    public String toString() {
        return "GradeReport{" + verdict + ", score=" + score + "/" + maxScore + ", cases=" + cases.size() + "}";
    }
}
