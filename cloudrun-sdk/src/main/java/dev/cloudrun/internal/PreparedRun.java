package dev.cloudrun.internal;

import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.internal.packages.DeclaredDependencies;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A request that passed validation, with its language resolved, main file named and limits fixed.
 *
 * @param language the language
 * @param mainFile the main file's relative path
 * @param files every workspace file, main file first
 * @param limits the run's limits
 * @param request the original request
 * @param declaredPackages dependencies the files declare, to install first when auto-install is on
 * @param plan how the steps are shaped (standard, compile only, precompiled)
 */
record PreparedRun(Language language, String mainFile, Map<String, byte[]> files, Limits limits, RunRequest request,
                   List<String> declaredPackages, RunPlan plan) {

    /** @return this run shaped by a plan, with precompiled artefacts added to its files (the request's files win) */
    PreparedRun with(RunPlan newPlan) {
        Map<String, byte[]> all = new LinkedHashMap<>(files);
        if (newPlan.precompiled()) {
            // Names came out of a sandbox: hold them to the same rules as a request's files.
            newPlan.artifacts().files().forEach((path, content) -> {
                String safe = WorkspacePaths.normalize("artifacts[" + path + "]", path);
                boolean clashes = all.keySet().stream().anyMatch(existing -> existing.startsWith(safe + "/")
                        || safe.startsWith(existing + "/"));
                if (!clashes) {
                    all.putIfAbsent(safe, content);
                }
            });
        }
        return new PreparedRun(language, mainFile, all, limits, request, declaredPackages, newPlan);
    }

    /** @return the files the backend makes executable */
    java.util.Set<String> executables() {
        if (!plan.precompiled()) {
            return java.util.Set.of();
        }
        java.util.Set<String> result = new java.util.HashSet<>(plan.artifacts().executables());
        result.retainAll(files.keySet());
        return result;
    }
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    static PreparedRun of(RunRequest request, LanguageRegistry languages, Limits defaults, Limits ceiling,
                          long workspaceBytes) {
        Language language = languages.require(request.language());
        if (language.previewOnly()) {
            throw new InvalidRequestException("language", language.id() + " is preview-only and cannot be executed");
        }
        byte[] source = request.source();
        String text = decodeStrict(source);
        if (text.isBlank()) {
            throw new InvalidRequestException("source", "is empty");
        }
        String mainFile = request.mainFileName()
                .map(name -> WorkspacePaths.normalize("mainFileName", name))
                .orElseGet(() -> language.mainFileFor(text));

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(mainFile, source);
        long totalBytes = source.length;
        for (Map.Entry<String, byte[]> entry : request.files().entrySet()) {
            String field = "files[" + entry.getKey() + "]";
            String path = WorkspacePaths.normalize(field, entry.getKey());
            if (path.equals(mainFile)) {
                throw new InvalidRequestException(field, "collides with the main file " + mainFile);
            }
            if (files.containsKey(path)) {
                throw new InvalidRequestException(field, "is given twice");
            }
            for (String existing : files.keySet()) {
                if (existing.startsWith(path + "/") || path.startsWith(existing + "/")) {
                    throw new InvalidRequestException(field, "is both a file and a folder (conflicts with " + existing + ")");
                }
            }
            files.put(path, entry.getValue());
            totalBytes += entry.getValue().length;
        }
        if (totalBytes > workspaceBytes / 2) {
            throw new InvalidRequestException("files", "total " + totalBytes + " bytes; at most " + workspaceBytes / 2 + " allowed");
        }

        for (Map.Entry<String, String> variable : request.env().entrySet()) {
            if (!ENV_NAME.matcher(variable.getKey()).matches()) {
                throw new InvalidRequestException("env[" + variable.getKey() + "]",
                        "is not a valid variable name (letters, digits and _, not starting with a digit)");
            }
            if (variable.getValue().indexOf('\0') >= 0) {
                throw new InvalidRequestException("env[" + variable.getKey() + "]", "value holds a NUL character");
            }
        }
        List<String> args = request.args();
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).indexOf('\0') >= 0) {
                throw new InvalidRequestException("args[" + i + "]", "holds a NUL character");
            }
        }

        if (request.compileCommand().isPresent() && !language.isCompiled()) {
            throw new InvalidRequestException("compileCommand", language.id() + " has no compile step");
        }
        Limits limits = request.limits(defaults);
        limits.validateAgainst(ceiling);
        List<String> declared = request.autoInstallAttempts() > 0 && language.packageManager().isPresent()
                ? DeclaredDependencies.from(language.packageManager().get(), files) : List.of();
        return new PreparedRun(language, mainFile, files, limits, request, declared, RunPlan.standard());
    }

    private static String decodeStrict(byte[] source) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(source)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("source", "is not valid UTF-8 text");
        }
    }
}
