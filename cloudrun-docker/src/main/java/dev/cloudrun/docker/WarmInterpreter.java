package dev.cloudrun.docker;

import dev.cloudrun.Language;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.util.Arrays;
import java.util.List;

/**
 * A run step whose interpreter a pooled container starts ahead of the run: the container's command
 * is the step's own command, exactly, and its main file is a FIFO the interpreter blocks reading,
 * so everything it does before it reads its program (loading itself and its standard library) is
 * done before the run exists. The run then puts its main file in place and writes the program into
 * the FIFO ({@link DockerSandbox}); the interpreter cannot tell, as with the local backend's
 * pre-started runtimes (docs/sandbox-docker.md, "Pre-started interpreters").
 *
 * <p>A language opts in with the descriptor attribute {@code "prestart": "true"};
 * {@code "prestartUnlessFiles"} names files that change the interpreter's start-up (Node.js reads
 * {@code package.json} first), whose presence makes the run start cold.
 *
 * @param step the run step, as the run will ask for it (command, environment, limits)
 * @param mainFile the file of the workspace the command names, which the interpreter reads
 */
record WarmInterpreter(StepSpec step, String mainFile) {
    /** The largest main file handed over: it must fit the FIFO's buffer, so the host's write never blocks. */
    static final int MAX_MAIN_BYTES = 60 * 1024;

    /**
     * @param spec the run's sandbox
     * @param step its first step
     * @param possible whether this backend can pre-start interpreters at all (runc, workspaces on this host)
     * @return the interpreter to pre-start for such runs, or null when the run starts otherwise
     */
    static WarmInterpreter of(SandboxSpec spec, StepSpec step, boolean possible) {
        Language language = spec.language();
        if (!possible || step.kind() != StepSpec.Kind.RUN || StepProfile.of(step) == null
                || !"true".equals(language.attribute("prestart").orElse(null))) {
            return null;
        }
        String mainFile = step.command().stream().skip(1).filter(spec.files()::containsKey).findFirst().orElse(null);
        if (mainFile == null || mainFile.contains("/") || mainFile.startsWith(".")
                || spec.files().get(mainFile).length > MAX_MAIN_BYTES) {
            return null;
        }
        List<String> unless = Arrays.stream(language.attribute("prestartUnlessFiles").orElse("").split(","))
                .map(String::strip).filter(name -> !name.isEmpty()).toList();
        if (unless.stream().anyMatch(spec.files()::containsKey)) {
            return null;
        }
        return new WarmInterpreter(step, mainFile);
    }
}
