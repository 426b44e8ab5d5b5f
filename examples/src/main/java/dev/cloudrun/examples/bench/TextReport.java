package dev.cloudrun.examples.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's report as tables for a person; {@code -} where a figure could not be measured. */
final class TextReport {
    private TextReport() { }

    /**
     * Prints the report.
     *
     * @param report what {@link CloudRunBenchmark} measured
     * @param out where to print
     */
    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> report, PrintStream out) {
        out.println();
        out.println("Latency, one run after another (ms; × = p50 / the bare process's p50):");
        out.printf(Locale.ROOT, "%-11s %-24s %9s %9s %9s %9s%n", "language", "path", "p50", "p95", "max", "p50 ×");
        for (Map<String, Object> language : (List<Map<String, Object>>) report.get("latency")) {
            for (Map<String, Object> row : (List<Map<String, Object>>) language.get("paths")) {
                out.printf(Locale.ROOT, "%-11s %-24s %9s %9s %9s %9s%n", language.get("language"), row.get("path"),
                        number(row.get("p50Ms"), ""), number(row.get("p95Ms"), ""), number(row.get("maxMs"), ""),
                        number(row.get("p50VsBare"), "×"));
            }
        }
        Map<String, Object> throughput = (Map<String, Object>) report.get("throughput");
        out.println();
        out.printf(Locale.ROOT, "Sustained throughput, python hello world, %s at once:%n", throughput.get("concurrency"));
        out.printf(Locale.ROOT, "%-24s %7s %9s %9s %14s%n", "path", "runs", "seconds", "runs/s", "× docker run");
        for (Map<String, Object> row : (List<Map<String, Object>>) throughput.get("paths")) {
            out.printf(Locale.ROOT, "%-24s %7s %9s %9s %14s%n", row.get("path"), row.get("runs"), number(row.get("seconds"), ""),
                    number(row.get("runsPerSecond"), ""), number(row.get("vsDockerRun"), "×"));
        }
        Map<String, Object> streaming = (Map<String, Object>) report.get("streaming");
        out.println();
        out.printf(Locale.ROOT, "Streaming %d MiB of stdout (median of the rounds):%n", (Long) streaming.get("bytes") / (1024 * 1024));
        out.printf(Locale.ROOT, "%-24s %7s %9s %9s%n", "path", "runs", "MiB/s", "× pipe");
        for (Map<String, Object> row : (List<Map<String, Object>>) streaming.get("paths")) {
            out.printf(Locale.ROOT, "%-24s %7s %9s %9s%n", row.get("path"), row.get("runs"), number(row.get("mibPerSecond"), ""),
                    number(row.get("vsPipe"), "×"));
        }
        Map<String, Object> memory = (Map<String, Object>) report.get("memory");
        out.println();
        out.println("Memory:");
        out.printf(Locale.ROOT, "  idle server RSS:           %s%n", CloudRunBenchmark.mib((Long) memory.get("idleServerRssBytes")));
        Long socket = (Long) memory.get("perWebSocketBytes");
        out.printf(Locale.ROOT, "  per idle WebSocket:        %s (%s counted, median of rounds)%n",
                socket == null ? "-" : String.format(Locale.ROOT, "%.1f KiB", socket / 1024.0), memory.get("webSockets"));
        out.printf(Locale.ROOT, "  first WebSockets' classes and compiled code: %s%n",
                CloudRunBenchmark.mib((Long) memory.get("firstWebSocketsBytes")));
        out.printf(Locale.ROOT, "  server JVM options:        %s%n", String.join(" ", (List<String>) memory.get("serverJvmOptions")));
        ((Map<String, Long>) memory.get("idleContainerBytes")).forEach((runtime, bytes) ->
                out.printf(Locale.ROOT, "  idle container (%s):%s %s%n", runtime, " ".repeat(Math.max(1, 11 - runtime.length())),
                        CloudRunBenchmark.mib(bytes)));
        out.println();
        out.println("Targets (issue 13):");
        for (Map<String, Object> target : (List<Map<String, Object>>) report.get("targets")) {
            Object met = target.get("met");
            out.printf(Locale.ROOT, "  %-4s %-58s %s%n", met == null ? "-" : (Boolean) met ? "met" : "no", target.get("target"),
                    target.get("measured") == null ? "-" : target.get("measured"));
        }
        Map<String, String> notes = (Map<String, String>) report.get("notes");
        if (!notes.isEmpty()) {
            out.println();
            out.println("Not measured:");
            notes.forEach((what, why) -> out.printf(Locale.ROOT, "  %s: %s%n", what, why));
        }
    }

    private static String number(Object value, String unit) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.2f%s", ((Number) value).doubleValue(), unit);
    }
}
