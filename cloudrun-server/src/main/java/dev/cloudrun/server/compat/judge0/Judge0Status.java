package dev.cloudrun.server.compat.judge0;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Judge0's 14 statuses (app/enumerations/status.rb), with its ids and descriptions. */
enum Judge0Status {
    IN_QUEUE(1, "In Queue"),
    PROCESSING(2, "Processing"),
    ACCEPTED(3, "Accepted"),
    WRONG_ANSWER(4, "Wrong Answer"),
    TIME_LIMIT_EXCEEDED(5, "Time Limit Exceeded"),
    COMPILATION_ERROR(6, "Compilation Error"),
    SIGSEGV(7, "Runtime Error (SIGSEGV)"),
    SIGXFSZ(8, "Runtime Error (SIGXFSZ)"),
    SIGFPE(9, "Runtime Error (SIGFPE)"),
    SIGABRT(10, "Runtime Error (SIGABRT)"),
    NZEC(11, "Runtime Error (NZEC)"),
    OTHER(12, "Runtime Error (Other)"),
    INTERNAL_ERROR(13, "Internal Error"),
    EXEC_FORMAT_ERROR(14, "Exec Format Error");

    final int id;
    final String description;

    Judge0Status(int id, String description) {
        this.id = id;
        this.description = description;
    }

    static Judge0Status byId(int id) {
        return values()[id - 1];
    }

    /** @return {@code {"id": 3, "description": "Accepted"}} */
    Map<String, Object> describe() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("description", description);
        return body;
    }

    /** Judge0's {@code find_runtime_error_by_status_code}. */
    static Judge0Status ofSignal(int signal) {
        return switch (signal) {
            case 11 -> SIGSEGV;
            case 25 -> SIGXFSZ;
            case 8 -> SIGFPE;
            case 6 -> SIGABRT;
            default -> OTHER;
        };
    }

    /**
     * Judge0's verdict on one run (isolate_job.rb's {@code determine_status}), as one ordered list of rules.
     *
     * @param result CloudRun's result
     * @param cpuTimeLimitSeconds the submission's {@code cpu_time_limit} (0: none); more CPU time is a time limit, as isolate's
     * @param expectedOutput the expected output, or null
     * @return the status
     */
    static Judge0Status of(RunResult result, double cpuTimeLimitSeconds, byte[] expectedOutput) {
        Status status = result.status();
        // 1. CloudRun itself failed: isolate's XX.
        if (status == Status.INTERNAL_ERROR) {
            return INTERNAL_ERROR;
        }
        // 2. The compiler refused it.
        if (status == Status.COMPILE_ERROR) {
            return COMPILATION_ERROR;
        }
        // 3. Time: CloudRun's limit, the server's deadline, or more CPU time than asked (isolate's TO;
        //    the run was allowed cpu_extra_time more before it was killed).
        if (status == Status.TIME_LIMIT || status == Status.CANCELLED
                || cpuTimeLimitSeconds > 0 && result.cpuTime().toNanos() > cpuTimeLimitSeconds * 1e9) {
            return TIME_LIMIT_EXCEEDED;
        }
        // 4. Output past the limit: isolate's file size limit kills with SIGXFSZ.
        if (status == Status.OUTPUT_LIMIT) {
            return SIGXFSZ;
        }
        // 5. Killed by a signal (isolate's SG): the memory limit's kill is SIGKILL, "Other".
        if (result.signal().isPresent()) {
            return ofSignal(result.signal().get());
        }
        if (status == Status.MEMORY_LIMIT) {
            return OTHER;
        }
        // 6. A non-zero exit (isolate's RE).
        if (status == Status.RUNTIME_ERROR || result.exitCode() != 0) {
            return NZEC;
        }
        // 7. Compared with the expected output, trailing whitespace of each line and of the whole ignored.
        if (expectedOutput == null || strip(expectedOutput).equals(strip(result.stdoutBytes()))) {
            return ACCEPTED;
        }
        return WRONG_ANSWER;
    }

    /** Judge0's {@code strip}: {@code text.split("\n").collect(&:rstrip).join("\n").rstrip}. */
    static String strip(byte[] text) {
        String[] lines = new String(text, StandardCharsets.ISO_8859_1).split("\n");
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                joined.append('\n');
            }
            joined.append(rstrip(lines[i]));
        }
        return rstrip(joined.toString());
    }

    /** Ruby's {@code rstrip}: trailing whitespace and NUL. */
    private static String rstrip(String text) {
        int end = text.length();
        while (end > 0 && " \t\n\u000b\f\r\0".indexOf(text.charAt(end - 1)) >= 0) {
            end--;
        }
        return text.substring(0, end);
    }
}
