package dev.cloudrun.server.grading;

import dev.cloudrun.CaseReport;
import dev.cloudrun.GradeReport;
import java.util.LinkedHashMap;
import java.util.Map;

/** A grading report as the API shows it (the same names as {@code ./cloudrun grade --json}, and more). */
final class ReportJson {
    private ReportJson() { }

    static Map<String, Object> report(GradeReport report) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("verdict", report.verdict().name());
        view.put("score", report.score());
        view.put("maxScore", report.maxScore());
        view.put("compilerOutput", report.compilerOutput());
        view.put("message", report.message());
        view.put("groupScores", report.groupScores());
        view.put("cases", report.cases().stream().map(ReportJson::testCase).toList());
        return view;
    }

    static Map<String, Object> testCase(CaseReport report) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", report.name());
        view.put("verdict", report.verdict().name());
        view.put("score", report.score());
        view.put("points", report.points());
        view.put("timeMs", report.wallTime().toMillis());
        view.put("cpuTimeMs", report.cpuTime().toMillis());
        view.put("memoryBytes", report.memoryBytes());
        view.put("exitCode", report.exitCode());
        view.put("signal", report.signal());
        view.put("output", report.output());
        view.put("stderr", report.stderr());
        view.put("message", report.message());
        return view;
    }
}
