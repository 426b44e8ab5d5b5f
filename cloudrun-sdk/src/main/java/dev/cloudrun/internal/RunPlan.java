package dev.cloudrun.internal;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How the engine shapes one run's steps beyond the request itself; used by the grader to compile
 * once and run many times. The standard plan is what {@link dev.cloudrun.CodeRunner#start} does:
 * compile (if the language does), then run.
 *
 * <p>Files cross from one sandbox to the next only as a tar stream that {@code tar} writes to the
 * stdout of a step inside the sandbox, which the host parses with {@link StrictTar}: the host never
 * reads by path in a workspace that user code (or a compiler) has written to.
 *
 * @param compileOnly compile, collect {@link #collect} from the workspace and stop (no run step)
 * @param artifacts files compiled by an earlier run, placed in the workspace (the compile step is
 *     skipped), or null
 * @param collect after the last step, carry these globs (compile only) or exact names out
 * @param maxCollectBytes the most the collected files may hold together
 * @param collected receives the collected files (called once, if the plan collects and the step ran)
 */
public record RunPlan(boolean compileOnly, CollectedFiles artifacts, List<String> collect, long maxCollectBytes,
                      Consumer<CollectedFiles> collected) {
    private static final RunPlan STANDARD = new RunPlan(false, null, List.of(), 0, files -> { });

    /** Copies the components. */
    public RunPlan {
        collect = List.copyOf(collect);
        Objects.requireNonNull(collected, "collected");
    }

    /** @return compile if needed, then run */
    public static RunPlan standard() {
        return STANDARD;
    }

    /**
     * @param globs the language's artefact globs
     * @param maxBytes the most the artefacts may hold
     * @param sink receives them when the compiler succeeded
     * @return a plan that compiles and carries the artefacts out instead of running
     */
    public static RunPlan compileOnly(List<String> globs, long maxBytes, Consumer<CollectedFiles> sink) {
        return new RunPlan(true, null, globs, maxBytes, sink);
    }

    /**
     * @param artifacts what {@link #compileOnly} carried out, or null to compile as usual
     * @param outputFiles exact names to carry out after the run step (empty for none)
     * @param maxBytes the most they may hold
     * @param sink receives them after the run step
     * @return a plan that runs on precompiled artefacts and collects output files
     */
    public static RunPlan run(CollectedFiles artifacts, List<String> outputFiles, long maxBytes,
                              Consumer<CollectedFiles> sink) {
        return new RunPlan(false, artifacts, outputFiles, maxBytes, sink);
    }

    boolean precompiled() {
        return artifacts != null;
    }
}
