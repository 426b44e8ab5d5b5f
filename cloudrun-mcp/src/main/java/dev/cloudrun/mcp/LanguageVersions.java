package dev.cloudrun.mcp;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The version of each language's toolchain as this backend has it, asked once (each language's
 * version command, run in a sandbox like any program) and then kept. A language whose command
 * fails shows {@code unknown}.
 */
final class LanguageVersions {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LanguageVersions.class);
    private final CodeRunner runner;
    private volatile Map<String, String> versions;

    LanguageVersions(CodeRunner runner) {
        this.runner = runner;
    }

    /** @return language id to its first line of version output */
    Map<String, String> all() {
        Map<String, String> known = versions;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (versions == null) {
                versions = ask();
            }
            return versions;
        }
    }

    private Map<String, String> ask() {
        Map<String, CompletableFuture<RunResult>> asked = new LinkedHashMap<>();
        Limits limits = Limits.defaults().withWallTime(Duration.ofSeconds(20)).withCpuTime(Duration.ofSeconds(10))
                .withMemoryBytes(512L << 20).withCompileTime(Duration.ofSeconds(20));
        for (Language language : runner.languages().all()) {
            if (language.previewOnly() || language.versionCommand().isEmpty()) {
                continue;
            }
            RunRequest request = RunRequest.of(language.id(), "0\n").withLimits(limits).withCompileCache(false);
            request = language.isCompiled()
                    ? request.withCompileCommand(language.versionCommand()).withRunCommand(List.of("true"))
                    : request.withRunCommand(language.versionCommand());
            try {
                asked.put(language.id(), runner.runAsync(request));
            } catch (RuntimeException e) {
                asked.put(language.id(), CompletableFuture.failedFuture(e));
            }
        }
        Map<String, String> answers = new LinkedHashMap<>();
        asked.forEach((id, future) -> answers.put(id, future.handle((result, failure) ->
                {
            if (failure != null) {
                LOG.warn("the version command of {} failed: {}", id, failure.toString());
                return "unknown";
            }
            return firstLine(result);
        }).join()));
        return Map.copyOf(answers);
    }

    private static String firstLine(RunResult result) {
        if (!result.isOk()) {
            LOG.warn("the version command of {} ended {}: {} {}", result.language(), result.status(), result.message(),
                    result.stderr().strip());
            return "unknown";
        }
        for (String text : List.of(result.stdout(), result.stderr(), result.compilerOutput())) {
            String trimmed = text.strip();
            if (!trimmed.isEmpty()) {
                return trimmed.lines().findFirst().orElse("unknown").strip();
            }
        }
        LOG.warn("the version command of {} printed nothing ({})", result.language(), result);
        return "unknown";
    }
}
