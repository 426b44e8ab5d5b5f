package dev.cloudrun.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 13's targets, checked against a report: each with the figure measured, the goal and
 * whether it is met ({@code null} when the figure could not be measured here).
 */
final class Targets {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final List<String> BACKENDS = List.of(CloudRunBenchmark.LOCAL, CloudRunBenchmark.RUNC, CloudRunBenchmark.RUNSC);

    private Targets() { }

    /**
     * Checks the targets.
     *
     * @param report the benchmark's report (its {@code latency}, {@code throughput}, {@code streaming}
     *               and {@code memory} parts)
     * @return one entry per target and path: {@code target}, {@code measured}, {@code met}
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> check(Map<String, Object> report) {
        List<Map<String, Object>> targets = new ArrayList<>();
        List<String> measuredBackends = ((Map<String, List<String>>) report.get("options")).get("backends");
        for (Map<String, Object> language : (List<Map<String, Object>>) report.get("latency")) {
            String id = (String) language.get("language");
            List<Map<String, Object>> paths = (List<Map<String, Object>>) language.get("paths");
            boolean interpreted = id.equals("python") || id.equals("javascript");
            boolean compiled = id.equals("c") || id.equals("cpp") || id.equals("java");
            for (String backend : BACKENDS) {
                if (!measuredBackends.contains(backend)) {
                    continue;
                }
                Map<String, Object> row = row(paths, backend);
                if (interpreted) {
                    add(targets, id + " " + backend + ": p50 ≤ 1.0× bare", ratio(row, "p50VsBare"), value -> value <= 1.0, "×");
                    add(targets, id + " " + backend + ": p95 ≤ 2× bare", ratio(row, "p95VsBare"), value -> value <= 2.0, "×");
                } else if (compiled) {
                    add(targets, id + " " + backend + ": p50 ≤ 1.3× bare compile and run", ratio(row, "p50VsBare"),
                            value -> value <= 1.3, "×");
                    add(targets, id + " " + backend + ": cached repeat p50 ≤ 0.3× bare", ratio(row(paths, backend + " (repeat)"),
                            "p50VsBare"), value -> value <= 0.3, "×");
                }
            }
        }
        List<Map<String, Object>> throughput = (List<Map<String, Object>>) ((Map<String, Object>) report.get("throughput")).get("paths");
        for (String backend : BACKENDS) {
            if (!measuredBackends.contains(backend)) {
                continue;
            }
            if (backend.equals(CloudRunBenchmark.LOCAL)) {
                add(targets, "local: ≥ 80 python runs/s at the chosen concurrency", ratio(row(throughput, backend), "runsPerSecond"),
                        value -> value >= 80, " runs/s");
            } else {
                add(targets, backend + ": ≥ 3× the runs/s of docker run --rm", ratio(row(throughput, backend), "vsDockerRun"),
                        value -> value >= 3, "×");
            }
        }
        List<Map<String, Object>> streaming = (List<Map<String, Object>>) ((Map<String, Object>) report.get("streaming")).get("paths");
        for (String backend : BACKENDS) {
            if (measuredBackends.contains(backend)) {
                add(targets, backend + ": streaming ≥ 0.5× a plain pipe", ratio(row(streaming, backend), "vsPipe"),
                        value -> value >= 0.5, "×");
            }
        }
        Map<String, Object> memory = (Map<String, Object>) report.get("memory");
        Long server = (Long) memory.get("idleServerRssBytes");
        add(targets, "idle server ≤ 150 MiB RSS", server == null ? null : server / (double) MIB, value -> value <= 150, " MiB");
        Long socket = (Long) memory.get("perWebSocketBytes");
        add(targets, "idle WebSocket ≤ 64 KiB", socket == null ? null : socket / (double) KIB, value -> value <= 64, " KiB");
        ((Map<String, Long>) memory.get("idleContainerBytes")).forEach((runtime, bytes) ->
                add(targets, "idle pooled container (" + runtime + ") memory reported", bytes == null ? null : bytes / (double) MIB,
                        value -> true, " MiB"));
        return targets;
    }

    private static Map<String, Object> row(List<Map<String, Object>> rows, String path) {
        return rows.stream().filter(row -> path.equals(row.get("path"))).findFirst().orElse(Map.of());
    }

    private static Double ratio(Map<String, Object> row, String key) {
        return (Double) row.get(key);
    }

    private static void add(List<Map<String, Object>> targets, String target, Double measured,
                            java.util.function.DoublePredicate goal, String unit) {
        Map<String, Object> entry = new java.util.LinkedHashMap<>();
        entry.put("target", target);
        entry.put("measured", measured == null ? null : String.format(Locale.ROOT, "%.2f%s", measured, unit));
        entry.put("met", measured == null ? null : goal.test(measured));
        targets.add(entry);
    }
}
