package dev.cloudrun.internal;

import dev.cloudrun.Limits;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;

/**
 * What happened during one step: the backend's outcome and what the supervisor saw and did.
 *
 * @param kind install, compile or run
 * @param limits the step's limits
 * @param outcome how the step ended, as the backend measured it
 * @param output what it wrote (captured up to the output cap)
 * @param cancelled the run was cancelled while the step ran
 * @param wallTimeout the supervisor killed it at its wall-clock limit
 * @param cpuTimeout the supervisor killed it at its CPU time limit
 * @param killedByUs the supervisor killed it (for any of the reasons above, or the output cap)
 * @param stderrToStdout the step's stderr was its stdout, so what it reported about itself is on stdout
 */
record StepReport(StepSpec.Kind kind, Limits limits, StepOutcome outcome, OutputCollector output, boolean cancelled,
                  boolean wallTimeout, boolean cpuTimeout, boolean killedByUs, boolean stderrToStdout) {

    /** @return what the step wrote to its stderr: its stdout when the two were one stream */
    byte[] errorOutput() {
        return output.bytes(stderrToStdout ? StreamKind.STDOUT : StreamKind.STDERR);
    }
}
