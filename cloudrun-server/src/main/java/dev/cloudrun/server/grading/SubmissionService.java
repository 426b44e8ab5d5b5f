package dev.cloudrun.server.grading;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.RunRequest;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.projects.ProjectPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Submissions: each is checked whole (language, source, files, problem or inline suite, callback
 * URL) and stored before the client is told {@code 202}; a batch is stored all or none. The views
 * here are what {@code GET /api/submissions/{id}} answers and what a callback carries.
 */
final class SubmissionService {
    static final int MAX_BATCH = 200;
    static final int MAX_FILES = 100;
    static final long MAX_FILES_BYTES = 8L * 1024 * 1024;

    /** Checks a callback URL when a submission is made: its form, and where it leads. */
    @FunctionalInterface
    interface CallbackRule {
        void check(String url, String field);
    }

    /** The key's limits. */
    record Limits(int perMinute, int maxQueued, long maxSourceBytes) { }

    private final SubmissionRepository submissions;
    private final ProblemService problems;
    private final CodeRunner runner;
    private final String sandboxProblem;
    private final Clock clock;
    private final Limits limits;
    private final CallbackRule callbackRule;
    private final Runnable onStored;
    private volatile Function<String, List<CallbackAttempt>> callbackAttempts = id -> List.of();

    SubmissionService(SubmissionRepository submissions, ProblemService problems, CodeRunner runner, String sandboxProblem,
            Clock clock, Limits limits, CallbackRule callbackRule, Runnable onStored) {
        this.submissions = submissions;
        this.problems = problems;
        this.runner = runner;
        this.sandboxProblem = sandboxProblem;
        this.clock = clock;
        this.limits = limits;
        this.callbackRule = callbackRule;
        this.onStored = onStored;
    }

    void showCallbackAttempts(Function<String, List<CallbackAttempt>> attempts) {
        this.callbackAttempts = attempts;
    }

    /**
     * Stores submissions.
     *
     * @param key the caller
     * @param bodies one JSON object per submission
     * @param prefix the field prefix for errors ("" for one, "submissions" for a batch)
     * @return their ids, in order
     */
    List<String> submit(ApiKey key, List<JsonNode> bodies, String prefix) {
        if (runner == null) {
            throw ApiError.of(503, "sandbox_unavailable", "no sandbox can run code on this server: " + sandboxProblem);
        }
        List<SubmissionRepository.NewSubmission> batch = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            batch.add(parse(key, bodies.get(i), prefix.isEmpty() ? "" : prefix + "[" + i + "]."));
        }
        long now = clock.millis();
        SubmissionRepository.Inserted inserted = submissions.insert(key.userId(), key.id(), batch, now, limits.maxQueued(),
                limits.perMinute());
        if (inserted.refusal() == SubmissionRepository.Refusal.QUEUE_FULL) {
            throw ApiError.tooManyRequests("queue_full", "this API key has " + limits.maxQueued()
                    + " submissions waiting at most; try again when some are graded", Duration.ofSeconds(30));
        }
        if (inserted.refusal() == SubmissionRepository.Refusal.RATE) {
            long waitMillis = Math.max(1000, inserted.oldestInWindowMillis() + 60_000 - now);
            throw ApiError.tooManyRequests("rate_limited", "this API key may make " + limits.perMinute()
                    + " submissions a minute", Duration.ofMillis(waitMillis));
        }
        onStored.run();
        return batch.stream().map(SubmissionRepository.NewSubmission::id).toList();
    }

    private SubmissionRepository.NewSubmission parse(ApiKey key, JsonNode body, String prefix) {
        if (body == null || !body.isObject()) {
            throw ApiError.badField("invalid_field", prefix.isEmpty() ? "body" : prefix.substring(0, prefix.length() - 1),
                    "a submission must be a JSON object");
        }
        String language = text(body, "language", prefix, true);
        if (runner.languages().find(language).isEmpty()) {
            throw ApiError.badField("unknown_language", prefix + "language", "unknown language " + ApiError.shown(language)
                    + " (GET /api/languages lists them)");
        }
        String source = text(body, "source", prefix, true);
        byte[] sourceBytes = source.getBytes(StandardCharsets.UTF_8);
        if (sourceBytes.length > limits.maxSourceBytes()) {
            throw ApiError.badField("invalid_field", prefix + "source", "source is larger than " + limits.maxSourceBytes() + " bytes");
        }
        Map<String, byte[]> files;
        try {
            files = SuiteDocument.files(body.get("files"), prefix + "files");
        } catch (InvalidRequestException e) {
            throw ApiError.badField("invalid_field", e.field(), SuiteDocument.problem(e));
        }
        if (files.size() > MAX_FILES || files.values().stream().mapToLong(f -> f.length).sum() > MAX_FILES_BYTES) {
            throw ApiError.badField("invalid_field", prefix + "files", "at most " + MAX_FILES + " files of "
                    + MAX_FILES_BYTES / (1024 * 1024) + " MiB together");
        }
        RunRequest request = RunRequest.of(language, sourceBytes);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String field = prefix + "files[" + ApiError.shown(file.getKey()) + "]";
            // The same rules as a project's files: relative, no .., no invisible or control characters.
            ProjectPaths.normalize(field, file.getKey());
            try {
                request = request.withFile(file.getKey(), file.getValue());
            } catch (InvalidRequestException e) {
                throw ApiError.badField("invalid_path", field, SuiteDocument.problem(e));
            }
        }
        String problemId = text(body, "problemId", prefix, false);
        JsonNode suite = body.get("suite");
        byte[] suiteBytes = null;
        if (problemId != null && suite != null && !suite.isNull()) {
            throw ApiError.badField("invalid_field", prefix + "suite", "give problemId or suite, not both");
        }
        if (problemId != null) {
            problems.get(key.userId(), problemId);
        } else if (suite != null && !suite.isNull()) {
            SuiteDocument.read(suite, prefix + "suite.");
            suiteBytes = Json.write(suite).getBytes(StandardCharsets.UTF_8);
        } else {
            throw ApiError.badField("missing_field", prefix + "problemId", "problemId (or an inline suite) is required");
        }
        String callbackUrl = text(body, "callbackUrl", prefix, false);
        if (callbackUrl != null) {
            callbackRule.check(callbackUrl, prefix + "callbackUrl");
        }
        Map<String, String> encoded = new LinkedHashMap<>();
        files.forEach((path, content) -> encoded.put(path, Base64.getEncoder().encodeToString(content)));
        return new SubmissionRepository.NewSubmission(UUID.randomUUID().toString(), problemId, suiteBytes, language, sourceBytes,
                encoded.isEmpty() ? null : Json.write(encoded).getBytes(StandardCharsets.UTF_8), callbackUrl);
    }

    private static String text(JsonNode body, String name, String prefix, boolean required) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            if (required) {
                throw ApiError.badField("missing_field", prefix + name, name + " is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw ApiError.badField("invalid_field", prefix + name, name + " must be a string");
        }
        return value.asText();
    }

    Submission get(String userId, String id) {
        return submissions.find(userId, id).orElseThrow(() -> ApiError.notFound("submission"));
    }

    List<Submission> list(String userId, String problemId, String status, int limit, SubmissionRepository.Cursor before) {
        return submissions.list(userId, problemId, status, limit, before);
    }

    List<SubmissionRepository.CaseRow> cases(Submission submission, int afterSeq) {
        return submissions.cases(submission.id(), submission.attempts(), afterSeq);
    }

    /** The short view, as lists show it. */
    static Map<String, Object> summary(Submission submission) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", submission.id());
        view.put("status", submission.status());
        view.put("problemId", submission.problemId());
        view.put("language", submission.language());
        view.put("verdict", submission.verdict());
        view.put("score", submission.score());
        view.put("maxScore", submission.maxScore());
        view.put("createdAt", submission.createdAtMillis());
        view.put("finishedAt", submission.finishedAtMillis());
        return view;
    }

    /** The whole view: the summary, timings, the report (or the cases judged so far) and the callback. */
    Map<String, Object> describe(Submission submission) {
        Map<String, Object> view = summary(submission);
        view.put("message", submission.message());
        view.put("attempts", submission.attempts());
        view.put("gradedBy", submission.finished() ? submission.leaseOwner() : null);
        view.put("startedAt", submission.startedAtMillis());
        Map<String, Object> timings = new LinkedHashMap<>();
        Long started = submission.startedAtMillis();
        Long finished = submission.finishedAtMillis();
        timings.put("queuedMs", started == null ? null : started - submission.createdAtMillis());
        timings.put("gradingMs", started == null || finished == null ? null : finished - started);
        timings.put("totalMs", finished == null ? null : finished - submission.createdAtMillis());
        view.put("timings", timings);
        if (Submission.DONE.equals(submission.status())) {
            view.put("report", submissions.report(submission.id()).map(SubmissionService::readTree).orElse(null));
        } else {
            view.put("cases", cases(submission, 0).stream().map(row -> readTree(row.report())).toList());
        }
        if (submission.callbackUrl() != null) {
            Map<String, Object> callback = new LinkedHashMap<>();
            callback.put("url", submission.callbackUrl());
            callback.put("state", submission.callbackState());
            callback.put("attempts", callbackAttempts.apply(submission.id()));
            view.put("callback", callback);
        }
        return view;
    }

    /**
     * What a callback posts: the whole view of a finished submission.
     *
     * @param id the submission
     * @return its JSON, empty when it is gone
     */
    Optional<byte[]> payload(String id) {
        return submissions.findAny(id).map(submission -> Json.write(describe(submission)).getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode readTree(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("a stored report is not valid JSON", e);
        }
    }

}
