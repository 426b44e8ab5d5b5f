package dev.cloudrun.server.compat.judge0;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.server.grading.CallbackFence;
import dev.cloudrun.server.grading.CallbackSigner;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.keys.ApiKeyScope;
import dev.cloudrun.server.keys.ApiKeyService;
import dev.cloudrun.server.runs.RunService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.jdbi.v3.core.Jdbi;

/**
 * The Judge0 CE 1.13 API under {@code CLOUDRUN_JUDGE0_PATH} (docs/compat.md, "Judge0"), and at {@code /} of
 * {@code CLOUDRUN_JUDGE0_PORT} when set: submissions are stored
 * (so any node answers for a token, also after a restart), run by {@link Judge0Worker} through
 * {@link RunService}, and answered in Judge0's shapes, status codes and error bodies.
 */
public final class Judge0Api {
    /** Where the API lives by default: a client's base URL is {@code http://host:8080/judge0}. */
    public static final String DEFAULT_PATH = "/judge0";
    /** The version clients check ({@code GET /about}). */
    static final String VERSION = "1.13.1";
    /** Judge0's MAX_SUBMISSION_BATCH_SIZE. */
    static final int MAX_BATCH = 20;
    /** Judge0's MAX_QUEUE_SIZE, here per caller (a key's user, or a keyless address). */
    static final int MAX_QUEUE_PER_CALLER = 100;
    /** Judge0's Submission.per_page. */
    static final int DEFAULT_PER_PAGE = 20;
    /** Judge0 takes any per_page; here a page is at most this long, so one request reads a bounded number of rows. */
    static final int MAX_PER_PAGE = 1000;

    private record Caller(String ownerId, String keyId, String address) { }

    private final Judge0Store store;
    private final Judge0Languages languages;
    private final Judge0Request.Bounds bounds;
    private final CallbackFence fence;
    private final ApiKeyService keys;
    private final ClientAddress clients;
    private final RunService runs;
    private final Judge0Worker worker;
    private final Clock clock;
    private final Judge0Statistics statistics;

    /**
     * @param jdbi the database
     * @param runs starts runs (quotas, queue, history)
     * @param runner the SDK runner, or null when no sandbox started
     * @param keys checks API keys ({@code X-Auth-Token})
     * @param clients tells the client's address
     * @param signer signs callbacks
     * @param fence checks callback URLs
     * @param maxSourceBytes the longest source, stdin or expected output
     * @param allowNetwork whether {@code enable_network} may be true
     * @param slots how many submissions this node runs at once
     * @param lease how long this node's claim on a submission lasts unless renewed
     * @param nodeId this node's name ({@code CLOUDRUN_NODE_ID}), or empty for a random one
     * @param callbackExecutor sends callbacks
     * @param clock the time source
     */
    public Judge0Api(Jdbi jdbi, RunService runs, CodeRunner runner, ApiKeyService keys, ClientAddress clients,
                     CallbackSigner signer, CallbackFence fence, long maxSourceBytes, boolean allowNetwork, int slots,
                     java.time.Duration lease, Optional<String> nodeId, ExecutorService callbackExecutor, Clock clock) {
        this.store = new Judge0Store(jdbi);
        this.languages = new Judge0Languages(runner != null ? runner.languages() : LanguageRegistry.loadDefault());
        Limits ceiling = runner != null ? runner.maxLimits() : Limits.defaultCeiling();
        this.bounds = Judge0Request.Bounds.of(ceiling, maxSourceBytes, allowNetwork);
        this.fence = fence;
        this.keys = keys;
        this.clients = clients;
        this.runs = runs;
        this.clock = clock;
        this.statistics = new Judge0Statistics(store, languages, clock);
        this.worker = new Judge0Worker(store, runs, languages, ceiling, signer, fence, clock, callbackExecutor, slots, lease,
                "judge0-" + nodeId.orElseGet(() -> UUID.randomUUID().toString()));
    }

    /**
     * @param message a refusal's sentence
     * @return it as Judge0 writes its errors: {@code {"error": ...}}
     */
    public static Object errorBody(String message) {
        return Map.of("error", message);
    }

    /** Starts taking submissions from the queue. */
    public void start(ScheduledExecutorService scheduler) {
        worker.start(scheduler);
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     * @param prefix where they live: {@code CLOUDRUN_JUDGE0_PATH} on the main port, {@code ""} on Judge0's own port
     */
    public void register(Javalin app, String prefix) {
        app.get(prefix + "/submissions", answer(this::index));
        app.post(prefix + "/submissions", answer(this::create));
        app.post(prefix + "/submissions/batch", answer(this::batchCreate));
        app.get(prefix + "/submissions/batch", answer(this::batchShow));
        app.get(prefix + "/submissions/{token}", answer(this::show));
        app.delete(prefix + "/submissions/{token}", answer(this::destroy));
        app.get(prefix + "/languages", answer(ctx -> ctx.json(languages.list())));
        app.get(prefix + "/languages/all", answer(ctx -> ctx.json(languages.all())));
        app.get(prefix + "/statistics", answer(ctx -> ctx.json(statistics.answer("true".equals(ctx.queryParam("invalidate_cache"))))));
        app.get(prefix + "/languages/{id}", answer(ctx -> {
            Optional<Judge0Languages.Entry> entry = parseInt(ctx.pathParam("id")).flatMap(languages::find);
            ctx.json(entry.orElseThrow(Judge0Api::notFound).full());
        }));
        app.get(prefix + "/statuses", answer(ctx -> {
            List<Map<String, Object>> statuses = new ArrayList<>();
            for (Judge0Status status : Judge0Status.values()) {
                statuses.add(status.describe());
            }
            ctx.json(statuses);
        }));
        app.get(prefix + "/about", answer(ctx -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("version", VERSION);
            body.put("homepage", "https://judge0.com");
            body.put("source_code", "https://github.com/judge0/judge0");
            body.put("maintainer", "CloudRun (a Judge0 CE " + VERSION + " compatible API)");
            ctx.json(body);
        }));
        app.get(prefix + "/version", answer(ctx -> ctx.result(VERSION)));
        app.get(prefix + "/config_info", answer(ctx -> ctx.json(configInfo())));
        app.get(prefix + "/system_info", answer(ctx -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("Architecture", System.getProperty("os.arch"));
            body.put("CPU(s)", String.valueOf(Runtime.getRuntime().availableProcessors()));
            body.put("Mem", Runtime.getRuntime().maxMemory() / (1024 * 1024) + "M");
            ctx.json(body);
        }));
        app.get(prefix + "/workers", answer(ctx -> {
            Map<String, Object> queue = new LinkedHashMap<>();
            queue.put("queue", VERSION);
            queue.put("size", store.queued(10_000).size());
            queue.put("available", 1);
            queue.put("idle", 0);
            queue.put("working", 0);
            queue.put("paused", 0);
            queue.put("failed", 0);
            ctx.json(List.of(queue));
        }));
        app.post(prefix + "/authenticate", answer(ctx -> ctx.status(200)));
    }

    private interface Step {
        void handle(Context ctx, Caller caller) throws Exception;
    }

    private Handler answer(Step step) {
        return ctx -> {
            try {
                step.handle(ctx, caller(ctx));
            } catch (Judge0Error e) {
                ctx.status(e.status());
                if (e.body() != null) {
                    ctx.contentType("application/json").result(Json.write(e.body()));
                }
            }
        };
    }

    private Handler answer(Handler handler) {
        return answer((ctx, caller) -> handler.handle(ctx));
    }

    /** {@code X-Auth-Token}: a CloudRun API key with scope {@code run}; none: keyless, one stand-in user per address. */
    private Caller caller(Context ctx) {
        String address = clients.of(ctx);
        String token = ctx.header("X-Auth-Token");
        if (token == null || token.isBlank()) {
            return new Caller("judge0-address:" + address, null, address);
        }
        Optional<ApiKey> key = ApiKeyService.looksLikeKey(token.trim()) ? keys.authenticate(token.trim()) : Optional.empty();
        if (key.isEmpty()) {
            throw new Judge0Error(401, null);
        }
        if (!key.get().allows(ApiKeyScope.RUN)) {
            throw new Judge0Error(403, null);
        }
        return new Caller(key.get().userId(), key.get().id(), address);
    }

    private void create(Context ctx, Caller caller) throws InterruptedException {
        boolean wait = "true".equals(ctx.queryParam("wait"));
        List<String> fields = Judge0Submissions.requested(ctx.queryParam("fields"));
        boolean base64 = "true".equals(ctx.queryParam("base64_encoded"));
        checkQueue(caller, 1);
        Judge0Request request = Judge0Request.parse(body(ctx), base64, languages, bounds, fence);
        String token = save(caller, request);
        if (!wait) {
            ctx.status(201).json(Map.of("token", token));
            return;
        }
        worker.poll();
        Judge0Store.Row row = awaitFinished(token, Math.max(1, request.params().path("number_of_runs").asInt(1)));
        try {
            ctx.status(201).json(Judge0Submissions.serialize(row, fields, base64, languages));
        } catch (Judge0Submissions.NotUtf8 e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("token", token);
            body.put("error", e.getMessage());
            ctx.status(201).json(body);
        }
    }

    private Judge0Store.Row awaitFinished(String token, int numberOfRuns) throws InterruptedException {
        long giveUp = clock.millis() + runs.deadline().toMillis() * (1 + numberOfRuns) + 60_000;
        while (true) {
            // Read the count first: a row finished after it wakes the wait at once, none is missed.
            long seen = worker.finishedCount();
            Judge0Store.Row row = store.find(token).orElseThrow(Judge0Api::notFound);
            if (row.statusId() > 2 || clock.millis() > giveUp) {
                return row;
            }
            // Woken when this node finishes a row; a row another node runs is read again every 200 ms.
            worker.awaitFinishAfter(seen, 200);
        }
    }

    private void batchCreate(Context ctx, Caller caller) {
        boolean base64 = "true".equals(ctx.queryParam("base64_encoded"));
        JsonNode submissions = body(ctx).path("submissions");
        int count = submissions.isArray() ? submissions.size() : 0;
        if (count > MAX_BATCH) {
            throw Judge0Error.error(400, "number of submissions in a batch should be less than or equal to " + MAX_BATCH);
        }
        if (count == 0) {
            throw Judge0Error.error(400, "there should be at least one submission in a batch");
        }
        checkQueue(caller, count);
        List<Object> answers = new ArrayList<>();
        boolean anyValid = false;
        for (JsonNode submission : submissions) {
            try {
                Judge0Request request = Judge0Request.parse(submission, base64, languages, bounds, fence);
                answers.add(Map.of("token", save(caller, request)));
                anyValid = true;
            } catch (Judge0Error e) {
                answers.add(e.body());
            }
        }
        ctx.status(anyValid ? 201 : 422).json(answers);
    }

    /**
     * Judge0's paged list (page, per_page, its {@code meta}). Judge0 lists every submission to its administrator;
     * here an API key lists the submissions it made, and a keyless caller gets Judge0's bare 403.
     */
    private void index(Context ctx, Caller caller) {
        if (caller.keyId() == null) {
            throw new Judge0Error(403, null);
        }
        List<String> fields = Judge0Submissions.requested(ctx.queryParam("fields"));
        boolean base64 = "true".equals(ctx.queryParam("base64_encoded"));
        int page = ctx.queryParam("page") == null ? 1 : rubyToI(ctx.queryParam("page"));
        int perPage = ctx.queryParam("per_page") == null ? DEFAULT_PER_PAGE : rubyToI(ctx.queryParam("per_page"));
        if (page <= 0) {
            throw Judge0Error.error(400, "invalid page: " + page);
        }
        if (perPage <= 0) {
            // Judge0 refuses a negative per_page; will_paginate cannot page by 0 either.
            throw Judge0Error.error(400, "invalid per_page: " + perPage);
        }
        if (perPage > MAX_PER_PAGE) {
            throw Judge0Error.error(400, "invalid per_page: " + perPage + " (at most " + MAX_PER_PAGE + ")");
        }
        int total = store.countByKey(caller.ownerId(), caller.keyId());
        List<Object> submissions = new ArrayList<>();
        try {
            for (Judge0Store.Row row : store.pageByKey(caller.ownerId(), caller.keyId(), perPage, (long) (page - 1) * perPage)) {
                submissions.add(Judge0Submissions.serialize(row, fields, base64, languages));
            }
        } catch (Judge0Submissions.NotUtf8 e) {
            throw Judge0Error.error(400, "some attributes for one or more submissions cannot be converted to UTF-8,"
                    + " use base64_encoded=true query parameter");
        }
        int totalPages = (total + perPage - 1) / perPage;
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("current_page", page);
        meta.put("next_page", page < totalPages ? page + 1 : null);
        meta.put("prev_page", page > 1 ? page - 1 : null);
        meta.put("total_pages", totalPages);
        meta.put("total_count", total);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("submissions", submissions);
        body.put("meta", meta);
        ctx.json(body);
    }

    /** Ruby's {@code String#to_i}: the leading integer, 0 when there is none. */
    private static int rubyToI(String text) {
        java.util.regex.Matcher leading = java.util.regex.Pattern.compile("^\\s*([-+]?\\d{1,9})").matcher(text);
        return leading.find() ? Integer.parseInt(leading.group(1)) : 0;
    }

    private void batchShow(Context ctx, Caller caller) {
        List<String> fields = Judge0Submissions.requested(ctx.queryParam("fields"));
        boolean base64 = "true".equals(ctx.queryParam("base64_encoded"));
        String header = ctx.header("tokens");
        String text = header != null ? header : ctx.queryParam("tokens");
        List<String> tokens = new ArrayList<>();
        for (String token : (text == null ? "" : text.strip()).split(",")) {
            if (!token.isEmpty()) {
                tokens.add(token);
            }
        }
        if (tokens.size() > MAX_BATCH) {
            throw Judge0Error.error(400, "number of submissions in a batch should be less than or equal to " + MAX_BATCH);
        }
        if (tokens.isEmpty()) {
            throw Judge0Error.error(400, "there should be at least one submission in a batch");
        }
        Map<String, Judge0Store.Row> found = new LinkedHashMap<>();
        for (Judge0Store.Row row : store.findAll(tokens)) {
            found.put(row.token(), row);
        }
        List<Object> answers = new ArrayList<>();
        try {
            for (String token : tokens) {
                Judge0Store.Row row = found.get(token);
                answers.add(row == null ? null : Judge0Submissions.serialize(row, fields, base64, languages));
            }
        } catch (Judge0Submissions.NotUtf8 e) {
            throw Judge0Error.error(400, "some attributes for one or more submissions cannot be converted to UTF-8,"
                    + " use base64_encoded=true query parameter");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("submissions", answers);
        ctx.json(body);
    }

    private void show(Context ctx, Caller caller) {
        List<String> fields = Judge0Submissions.requested(ctx.queryParam("fields"));
        boolean base64 = "true".equals(ctx.queryParam("base64_encoded"));
        Judge0Store.Row row = store.find(ctx.pathParam("token")).orElseThrow(Judge0Api::notFound);
        try {
            ctx.json(Judge0Submissions.serialize(row, fields, base64, languages));
        } catch (Judge0Submissions.NotUtf8 e) {
            throw Judge0Error.error(400, e.getMessage());
        }
    }

    /**
     * Judge0 lets only its administrator (X-Auth-User) delete; here the API key that made the submission
     * may, and nobody else: a keyless caller gets Judge0's 403 for a missing authorization.
     */
    private void destroy(Context ctx, Caller caller) {
        List<String> fields = Judge0Submissions.requested(ctx.queryParam("fields"));
        if (caller.keyId() == null) {
            throw new Judge0Error(403, null);
        }
        Judge0Store.Row row = store.find(ctx.pathParam("token")).orElseThrow(Judge0Api::notFound);
        if (!row.ownerId().equals(caller.ownerId())) {
            throw new Judge0Error(403, null);
        }
        if (row.statusId() <= 2) {
            Judge0Status status = Judge0Status.byId(row.statusId());
            throw Judge0Error.error(400, "submission cannot be deleted because its status is " + status.id
                    + " (" + status.description + ")");
        }
        store.delete(row.token());
        ctx.json(Judge0Submissions.serialize(row, fields, true, languages));
    }

    private void checkQueue(Caller caller, int adding) {
        if (store.pending(caller.ownerId()) + adding > MAX_QUEUE_PER_CALLER) {
            throw Judge0Error.error(503, "queue is full");
        }
    }

    private String save(Caller caller, Judge0Request request) {
        String token = UUID.randomUUID().toString();
        store.insert(new Judge0Store.Row(token, caller.ownerId(), caller.keyId(), caller.address(),
                request.params().path("language_id").asInt(), Judge0Status.IN_QUEUE.id,
                Json.write(request.params()).getBytes(StandardCharsets.UTF_8), request.additionalFiles(), null,
                request.params().path("callback_url").asText(null), clock.millis(), null, null));
        return token;
    }

    private Map<String, Object> configInfo() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("maintenance_mode", false);
        body.put("enable_wait_result", true);
        body.put("enable_compiler_options", true);
        body.put("allowed_languages_for_compile_options", List.of());
        body.put("enable_command_line_arguments", true);
        body.put("enable_submission_delete", true);
        body.put("enable_callbacks", true);
        body.put("callbacks_max_tries", 3);
        body.put("callbacks_timeout", 5.0);
        body.put("enable_additional_files", true);
        body.put("max_queue_size", MAX_QUEUE_PER_CALLER);
        body.put("cpu_time_limit", bounds.cpuTimeLimit());
        body.put("max_cpu_time_limit", bounds.maxCpuSeconds());
        body.put("cpu_extra_time", bounds.cpuExtraTime());
        body.put("max_cpu_extra_time", Judge0Request.MAX_CPU_EXTRA_TIME);
        body.put("wall_time_limit", bounds.wallTimeLimit());
        body.put("max_wall_time_limit", bounds.maxWallSeconds());
        body.put("memory_limit", bounds.memoryLimit());
        body.put("max_memory_limit", bounds.maxMemoryKb());
        body.put("stack_limit", bounds.stackLimit());
        body.put("max_stack_limit", Judge0Request.MAX_STACK_KB);
        body.put("max_processes_and_or_threads", bounds.maxProcessesAndOrThreads());
        body.put("max_max_processes_and_or_threads", bounds.maxProcesses());
        body.put("enable_per_process_and_thread_time_limit", false);
        body.put("allow_enable_per_process_and_thread_time_limit", true);
        body.put("enable_per_process_and_thread_memory_limit", false);
        body.put("allow_enable_per_process_and_thread_memory_limit", true);
        body.put("max_file_size", bounds.maxFileSize());
        body.put("max_max_file_size", Judge0Request.MAX_FILE_SIZE_KB);
        body.put("number_of_runs", 1);
        body.put("max_number_of_runs", Judge0Request.MAX_RUNS);
        body.put("redirect_stderr_to_stdout", false);
        body.put("max_extract_size", Judge0Request.MAX_ZIP_BYTES / 1024);
        body.put("enable_batched_submissions", true);
        body.put("max_submission_batch_size", MAX_BATCH);
        body.put("submission_cache_duration", 0.0);
        body.put("use_docs_as_homepage", false);
        body.put("allow_enable_network", bounds.allowNetwork());
        body.put("enable_network", false);
        body.put("disable_implicit_base64_encoding", false);
        return body;
    }

    private static JsonNode body(Context ctx) {
        String text = ctx.body();
        if (text == null || text.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            JsonNode node = Json.MAPPER.readTree(text);
            return node == null ? MissingNode.getInstance() : node;
        } catch (java.io.IOException e) {
            // Rails answers a body it cannot parse with 400.
            throw Judge0Error.error(400, "the request body is not valid JSON");
        }
    }

    private static Optional<Integer> parseInt(String text) {
        try {
            return Optional.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Rails' answer to a record not found (ActiveRecord::RecordNotFound in an API app). */
    private static Judge0Error notFound() {
        return new Judge0Error(404, Map.of("error", "Not Found"));
    }
}
