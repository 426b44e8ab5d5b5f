package dev.cloudrun.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine the figures were taken on: cores, memory, system, kernel, cgroup version, Java, date. */
final class MachineInfo {
    private MachineInfo() { }

    /** @return the description, in the order the report shows it (the Docker version is added by the caller) */
    static Map<String, Object> describe() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("memoryBytes", memTotal());
        machine.put("os", osName());
        machine.put("kernel", read(Path.of("/proc/sys/kernel/osrelease"), System.getProperty("os.version")));
        machine.put("cgroup", Files.isRegularFile(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "cgroup v2"
                : Files.isDirectory(Path.of("/sys/fs/cgroup/memory")) ? "cgroup v1" : "no cgroups");
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return machine;
    }

    private static Long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux; left out.
        }
        return null;
    }

    private static String osName() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        } catch (IOException e) {
            // Fall back to Java's name.
        }
        return System.getProperty("os.name");
    }

    private static String read(Path file, String fallback) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return fallback;
        }
    }
}
