package dev.cloudrun.server.compat.judge0;

import dev.cloudrun.RunResult;
import java.time.Duration;

/**
 * Judge0's {@code number_of_runs} (app/jobs/isolate_job.rb, {@code perform}): the program runs up to that many
 * times, each in a fresh sandbox, and stops after the first run that is not Accepted. The submission then
 * reports the last run's status, output, exit code and wall time, with {@code time} the mean of the runs'
 * CPU times and {@code memory} the mean of their memory, in whole KB (Judge0's integer column truncates it).
 */
final class Judge0Runs {
    private final int wanted;
    private int done;
    private long cpuMillisSum;
    private long memoryKbSum;

    /** @param wanted the submission's {@code number_of_runs} (below 1 counts as 1) */
    Judge0Runs(int wanted) {
        this.wanted = Math.max(1, wanted);
    }

    /**
     * Counts one finished run.
     *
     * @param result the run's result
     * @param status the Judge0 status it earned
     * @return whether another run follows (fewer than asked, and this one was Accepted)
     */
    boolean another(RunResult result, Judge0Status status) {
        done++;
        cpuMillisSum += result.cpuTime().toMillis();
        memoryKbSum += result.memoryBytes() / 1024;
        return done < wanted && status == Judge0Status.ACCEPTED;
    }

    /** @return how many runs were counted */
    int done() {
        return done;
    }

    /**
     * @param last the last run's result
     * @return what the submission reports: {@code last} with the runs' mean CPU time and memory
     */
    RunResult reported(RunResult last) {
        if (done <= 1) {
            return last;
        }
        RunResult.Builder builder = RunResult.builder(last.status())
                .exitCode(last.exitCode())
                .wallTime(last.wallTime())
                .cpuTime(Duration.ofMillis(Math.round((double) cpuMillisSum / done)))
                .memoryBytes(memoryKbSum / done * 1024)
                .stdout(last.stdoutBytes(), last.stdoutTruncated())
                .stderr(last.stderrBytes(), last.stderrTruncated())
                .installedPackages(last.installedPackages())
                .missingPackages(last.missingPackages());
        last.signal().ifPresent(builder::signal);
        if (last.language() != null) {
            builder.language(last.language());
        }
        if (last.compilerOutput() != null) {
            builder.compilerOutput(last.compilerOutput());
        }
        if (last.message() != null) {
            builder.message(last.message());
        }
        return builder.build();
    }
}
