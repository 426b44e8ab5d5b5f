package dev.cloudrun.server.compat.jobe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.keys.ApiKeyScope;
import dev.cloudrun.server.keys.ApiKeyService;
import dev.cloudrun.server.runs.RunService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jobe's REST API ({@code /jobe/index.php/restapi/}), so that Moodle's CodeRunner can use CloudRun
 * as its "Jobe server": {@code GET languages}, {@code POST runs}, {@code PUT} and {@code HEAD files/{id}}.
 * A thin translator: Jobe's names and answers at the edge, CloudRun's runner, quotas and history inside.
 *
 * <p>With a key ({@code X-API-KEY}: a CloudRun API key with scope {@code run}) the run counts
 * against the key's user, as {@code POST /api/runs} does, and enters the user's history. Without
 * keys ({@code CLOUDRUN_JOBE_REQUIRE_KEY=false}) each client address counts as one anonymous
 * user for the quotas, and nothing is recorded (there is no user to record it for).
 */
public final class JobeApi {
    /** Where Jobe answers, and so where CodeRunner sends its requests. */
    public static final String BASE = "/jobe/index.php/restapi";
    static final int MAX_CACHED_FILES = 1000;
    static final long MAX_CACHED_BYTES = 64L * 1024 * 1024;
    /** Jobe's test hook (LanguageTask::prepareExecutionEnvironment), kept so that its testsubmit.py passes. */
    static final String OVERLOAD_TEST_SOURCE = "!** TESTING OVERLOAD EXCEPTION **!";

    private static final String KEYLESS_OWNER = "-";
    private static final long MIB = 1024L * 1024;
    // Jobe's defaults (LanguageTask::$default_params): 5 s of CPU, killed after twice that, 400 MB, 2 MB of output.
    private static final double DEFAULT_CPU_SECONDS = 5;
    private static final long DEFAULT_MEMORY_MB = 400;
    private static final long PYTHON_MEMORY_MB = 1000;
    private static final long DEFAULT_STREAM_MB = 2;
    /** Jobe's default {@code numprocs}; its {@code JavaTask} raises it to at least 256 for the JVM. */
    private static final int DEFAULT_NUMPROCS = 30;
    private static final int JAVA_MIN_NUMPROCS = 256;
    // Jobe's JavaTask::getMainClass: a public class with a main method.
    private static final Pattern JAVA_MAIN_CLASS = Pattern.compile(
            "(^|\\W)public\\s+class\\s+(\\w+)[^{]*\\{.*?(public\\s+static|static\\s+public)\\s+void\\s+main\\s*\\(\\s*String",
            Pattern.MULTILINE | Pattern.DOTALL);

    private final CodeRunner runner;
    private final String unavailableReason;
    private final ApiKeyService keys;
    private final RunService runs;
    private final ClientAddress clients;
    private final boolean requireKey;
    private final JobeLanguages languages;
    private final JobeFileCache files = new JobeFileCache(MAX_CACHED_FILES, MAX_CACHED_BYTES);

    /**
     * Creates the API.
     *
     * @param runner the SDK runner, or null when no sandbox could start
     * @param unavailableReason why there is no runner, or null
     * @param keys checks the {@code X-API-KEY} header
     * @param runs starts runs under the server's quotas, deadline and history (runs made with a key)
     * @param clients tells the client's address
     * @param requireKey whether a key is required ({@code CLOUDRUN_JOBE_REQUIRE_KEY})
     */
    public JobeApi(CodeRunner runner, String unavailableReason, ApiKeyService keys, RunService runs, ClientAddress clients,
                   boolean requireKey) {
        this.runner = runner;
        this.unavailableReason = unavailableReason;
        this.keys = keys;
        this.runs = runs;
        this.clients = clients;
        this.requireKey = requireKey;
        this.languages = runner == null ? null : new JobeLanguages(runner.languages());
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        app.get(BASE + "/languages", ctx -> answer(ctx, () -> {
            caller(ctx);
            ctx.json(languages == null ? List.of() : languages.list());
        }));
        app.post(BASE + "/runs", ctx -> answer(ctx, () -> run(ctx)));
        app.put(BASE + "/files/{id}", ctx -> answer(ctx, () -> putFile(ctx)));
        app.head(BASE + "/files/{id}", ctx -> answer(ctx, () -> {
            String owner = caller(ctx);
            String id = fileId(ctx);
            ctx.status(files.contains(owner, id) ? 204 : 404);
        }));
    }

    private void answer(Context ctx, Runnable handler) {
        try {
            handler.run();
        } catch (JobeException e) {
            // Jobe answers its errors as a JSON string (Javalin would send a bare String as it is).
            ctx.status(e.status()).contentType("application/json").result(Json.write(e.getMessage()));
        }
    }

    /** @return the owner of the caller's files: the key's user, or the shared keyless owner */
    private String caller(Context ctx) {
        String header = ctx.header("X-API-KEY");
        if (header == null || header.isBlank()) {
            if (requireKey) {
                throw new JobeException(403, "Missing API key");
            }
            return KEYLESS_OWNER;
        }
        String token = header.trim();
        Optional<ApiKey> key = ApiKeyService.looksLikeKey(token) ? keys.authenticate(token) : Optional.empty();
        if (key.isEmpty()) {
            throw new JobeException(403, "Unknown API key");
        }
        if (!key.get().allows(ApiKeyScope.RUN)) {
            throw new JobeException(403, "This API key lacks the scope run");
        }
        return key.get().userId();
    }

    private static String fileId(Context ctx) {
        String id = ctx.pathParam("id");
        // Jobe's routes take (:alphanum) ids only; any other URL is not found.
        if (!JobeRunSpec.isValidFileId(id)) {
            throw new JobeException(404, "File ids are letters and digits only");
        }
        return id;
    }

    private void putFile(Context ctx) {
        String owner = caller(ctx);
        String id = fileId(ctx);
        JsonNode body = readJson(ctx);
        JsonNode contents = body == null ? null : body.get("file_contents");
        if (contents == null || !contents.isTextual()) {
            throw new JobeException(400, "put: missing file_contents parameter");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(contents.asText().replaceAll("[\\r\\n]", ""));
        } catch (IllegalArgumentException e) {
            throw new JobeException(400, "put: contents of file " + id + " are not valid base-64");
        }
        if (!files.put(owner, id, decoded)) {
            throw new JobeException(500, "put: failed to write file " + id + " to cache");
        }
        ctx.status(204);
    }

    private void run(Context ctx) {
        String owner = caller(ctx);
        JobeRunSpec spec = JobeRunSpec.parse(readJson(ctx));
        if (languages == null) {
            throw new JobeException(500, "Server exception (no sandbox can run code on this server: " + unavailableReason + ")");
        }
        Language language = languages.find(spec.languageId()).orElseThrow(() ->
                new JobeException(400, "Language '" + shown(spec.languageId()) + "' is not known"));
        RunRequest request;
        try {
            request = request(spec, language, owner);
        } catch (InvalidRequestException e) {
            throw new JobeException(400, e.getMessage());
        }
        if (spec.sourceCode().equals(OVERLOAD_TEST_SOURCE)) {
            ctx.json(body(null, JobeOutcome.overload()));
            return;
        }
        String address = clients.of(ctx);
        boolean keyed = !owner.equals(KEYLESS_OWNER);
        // Without a key each address is one anonymous user: the per-user and per-address quotas both apply to it.
        Principal user = new Principal(keyed ? owner : "jobe-address:" + address, null, false);
        Execution execution;
        try {
            execution = runs.startPrepared(user, address, request, language, null, "jobe", keyed, RunListener.NONE,
                    outcome -> { }).execution();
        } catch (ApiError e) {
            if (e.status() == 429 || e.code().equals("queue_full")) {
                ctx.json(body(null, JobeOutcome.overload()));
                return;
            }
            throw new JobeException(500, "Server exception (" + e.getMessage() + ")");
        } catch (InvalidRequestException e) {
            throw new JobeException(400, e.getMessage());
        } catch (CloudRunException e) {
            throw new JobeException(500, "Server exception (" + e.getMessage() + ")");
        }
        // The server's deadline cancels the run, so this wait ends; the extra margin covers the cancellation itself.
        RunResult result = execution.await(runs.deadline().plusSeconds(30)).orElseGet(() -> {
            execution.cancel();
            return execution.result().join();
        });
        ctx.json(body(execution.id(), JobeOutcome.of(language.id(), result)));
    }

    /** Builds CloudRun's request: the files, the main file's name and the limits, as Jobe would set them. */
    private RunRequest request(JobeRunSpec spec, Language language, String owner) {
        RunRequest request = RunRequest.of(language.id(), spec.sourceCode().getBytes(StandardCharsets.UTF_8));
        Optional<String> mainFile = mainFileName(spec, language);
        if (mainFile.isPresent()) {
            request = request.withMainFileName(mainFile.get());
        }
        for (JobeRunSpec.FileRef file : spec.files()) {
            byte[] content = files.get(owner, file.id()).orElseThrow(() ->
                    new JobeException(404, "One or more of the specified files is missing/unavailable"));
            request = request.withFile(file.name(), content);
        }
        if (!spec.input().isEmpty()) {
            request = request.withStdin(spec.input());
        }
        Optional<List<String>> runArgs = spec.strings("runargs");
        if (runArgs.isPresent()) {
            request = request.withArgs(runArgs.get());
        }
        Limits ceiling = runner.maxLimits();
        long maxCpuSeconds = ceiling.cpuTime().toSeconds();
        OptionalDouble cpu = spec.number("cputime");
        // Jobe compares intval(cputime) with its maximum and refuses more; a non-numeric value takes the default.
        if (cpu.isPresent() && (long) cpu.getAsDouble() > maxCpuSeconds) {
            throw new JobeException(400, "cputime exceeds maximum allowed on this Jobe server (" + maxCpuSeconds + " secs)");
        }
        double cpuSeconds = cpu.isPresent() && cpu.getAsDouble() > 0 ? cpu.getAsDouble() : DEFAULT_CPU_SECONDS;
        Duration cpuTime = Duration.ofMillis(Math.max(1, Math.round(cpuSeconds * 1000)));
        // Jobe kills a job after twice its CPU time of wall-clock time.
        Duration wallTime = min(cpuTime.multipliedBy(2), ceiling.wallTime());
        // Jobe lets the JVM manage its own memory (JavaTask sets memorylimit to 0); 0 means no limit: the ceiling here.
        long defaultMemoryMb = language.id().equals("python") ? PYTHON_MEMORY_MB : DEFAULT_MEMORY_MB;
        OptionalDouble memory = language.id().equals("java") ? OptionalDouble.empty() : spec.number("memorylimit");
        long memoryBytes = megabytes(memory, defaultMemoryMb, 8 * MIB, ceiling.memoryBytes());
        long outputBytes = megabytes(spec.number("streamsize"), DEFAULT_STREAM_MB, 1024, ceiling.maxOutputBytes());
        int processes = processes(spec.number("numprocs"), language, ceiling.maxProcesses());
        return JobeCommands.apply(spec, language, request).withLimits(limits -> limits.withCpuTime(cpuTime)
                .withWallTime(wallTime).withMemoryBytes(memoryBytes).withMaxOutputBytes(outputBytes)
                .withMaxProcesses(processes));
    }

    /** Jobe's {@code numprocs} (a non-numeric or non-positive value takes the default), clamped to the ceiling. */
    private static int processes(OptionalDouble requested, Language language, int ceiling) {
        long numprocs = requested.isPresent() && requested.getAsDouble() >= 1 ? (long) requested.getAsDouble() : DEFAULT_NUMPROCS;
        if (language.id().equals("java")) {
            numprocs = Math.max(numprocs, JAVA_MIN_NUMPROCS);
        }
        return (int) Math.min(numprocs, ceiling);
    }

    private static long megabytes(OptionalDouble requested, long defaultMb, long floor, long ceiling) {
        double mb = requested.isPresent() ? requested.getAsDouble() : defaultMb;
        if (mb <= 0) {
            return ceiling;
        }
        double bytes = mb * MIB;
        return bytes >= ceiling ? ceiling : Math.max(floor, (long) bytes);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * The main file's name: the client's {@code sourcefilename}; for Java without one, the public
     * class with a main method, as Jobe finds it; for Node.js a {@code .js} ending, as Jobe adds.
     */
    private static Optional<String> mainFileName(JobeRunSpec spec, Language language) {
        String name = spec.sourceFileName();
        if (name.isEmpty()) {
            if (language.id().equals("java")) {
                Matcher main = JAVA_MAIN_CLASS.matcher(spec.sourceCode());
                if (main.find()) {
                    int start = main.end();
                    String className = main.group(2);
                    // Jobe wants exactly one such class; with several it falls back (here: CloudRun's own choice).
                    return main.find(start) ? Optional.empty() : Optional.of(className + ".java");
                }
            }
            return Optional.empty();
        }
        if (language.id().equals("javascript") && !name.endsWith(".js")) {
            return Optional.of(name + ".js");
        }
        return Optional.of(name);
    }

    private static Map<String, Object> body(String runId, JobeOutcome outcome) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("run_id", runId);
        body.put("outcome", outcome.outcome());
        body.put("cmpinfo", outcome.cmpinfo());
        body.put("stdout", outcome.stdout());
        body.put("stderr", outcome.stderr());
        return body;
    }

    private static JsonNode readJson(Context ctx) {
        String text = ctx.body();
        if (text.isBlank()) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * @param message a refusal's sentence
     * @return it as Jobe writes its errors: a JSON string
     */
    public static Object errorBody(String message) {
        return message;
    }

    static String shown(Object value) {
        return ApiError.shown(String.valueOf(value));
    }

    static ObjectNode emptyObject() {
        return Json.MAPPER.createObjectNode();
    }
}
