package dev.cloudrun.server.grading;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.EventStream;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.keys.ApiKeyRoutes;
import dev.cloudrun.server.keys.ApiKeyScope;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code /api/submissions}: submit one ({@code 202} with its id; {@code ?wait=true} holds the
 * request for a short job), a batch of up to {@value SubmissionService#MAX_BATCH}, read one, page
 * through them, and follow one's cases live as server-sent events. The event stream reads the
 * database, so it follows a submission whichever node grades it.
 */
final class SubmissionRoutes {
    private static final Set<String> STATUSES = Set.of(Submission.QUEUED, Submission.COMPILING, Submission.RUNNING,
            Submission.DONE, Submission.FAILED);
    private static final long POLL_MILLIS = 250;
    private static final Duration MAX_STREAM = Duration.ofMinutes(10);
    private static final int STREAMS_PER_KEY = 16;

    private final SubmissionService submissions;
    private final ApiKeyRoutes keys;
    private final Duration maxWait;
    // Each stream and each waiting request holds one of Jetty's threads (at most 250): keep most of them for the rest.
    private final Semaphore streams = new Semaphore(64);
    private final Semaphore waiting = new Semaphore(32);
    private final Map<String, AtomicInteger> streamsByKey = new ConcurrentHashMap<>();

    SubmissionRoutes(SubmissionService submissions, ApiKeyRoutes keys, Duration maxWait) {
        this.submissions = submissions;
        this.keys = keys;
        this.maxWait = maxWait;
    }

    void register(Javalin app) {
        app.post("/api/submissions", this::submitOne);
        app.post("/api/submissions/batch", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            JsonNode list = Json.body(ctx).get("submissions");
            if (list == null || !list.isArray() || list.isEmpty() || list.size() > SubmissionService.MAX_BATCH) {
                throw ApiError.badField("invalid_field", "submissions", "submissions must be an array of 1 to "
                        + SubmissionService.MAX_BATCH + " submissions");
            }
            List<JsonNode> bodies = new ArrayList<>();
            list.forEach(bodies::add);
            List<String> ids = submissions.submit(key, bodies, "submissions");
            ctx.status(202).json(Map.of("submissions", ids.stream().map(id -> Map.of("id", id, "status", Submission.QUEUED)).toList()));
        });
        app.get("/api/submissions", this::list);
        app.get("/api/submissions/{id}", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            ctx.json(submissions.describe(submissions.get(key.userId(), ctx.pathParam("id"))));
        });
        app.get("/api/submissions/{id}/events", this::events);
    }

    private void submitOne(Context ctx) throws InterruptedException {
        ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
        ObjectNode body = Json.body(ctx);
        boolean wait = "true".equals(ctx.queryParam("wait")) || body.path("wait").asBoolean(false);
        String id = submissions.submit(key, List.of(body), "").get(0);
        Submission submission = submissions.get(key.userId(), id);
        // Beyond the waiting requests the server holds, the answer is 202 at once: the client polls or streams.
        if (wait && waiting.tryAcquire()) {
            try {
                long deadline = System.nanoTime() + maxWait.toNanos();
                while (!submission.finished() && System.nanoTime() < deadline) {
                    Thread.sleep(POLL_MILLIS);
                    submission = submissions.get(key.userId(), id);
                }
            } finally {
                waiting.release();
            }
        }
        ctx.status(submission.finished() ? 200 : 202).header("Location", "/api/submissions/" + id)
                .json(submissions.describe(submission));
    }

    private void list(Context ctx) {
        ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
        String status = ctx.queryParam("status");
        if (status != null && !STATUSES.contains(status)) {
            throw ApiError.badField("invalid_field", "status", "status must be one of " + String.join(", ", STATUSES));
        }
        int limit = Paging.limit(ctx, 50);
        SubmissionRepository.Cursor before = cursor(ctx.queryParam("cursor"));
        List<Submission> page = submissions.list(key.userId(), ctx.queryParam("problem"), status, limit, before);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("submissions", page.stream().map(SubmissionService::summary).toList());
        Submission last = page.isEmpty() ? null : page.get(page.size() - 1);
        body.put("nextCursor", page.size() < limit || last == null ? null : Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.createdAtMillis() + ":" + last.id()).getBytes(StandardCharsets.UTF_8)));
        ctx.json(body);
    }

    private static SubmissionRepository.Cursor cursor(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return new SubmissionRepository.Cursor(Long.parseLong(decoded.substring(0, colon)), decoded.substring(colon + 1));
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            throw ApiError.badField("invalid_field", "cursor", "cursor is not one this server gave out");
        }
    }

    /**
     * Events: {@code status} when the status changes, {@code case} per judged case (id
     * {@code attempt:seq}, so a client that reconnects with {@code Last-Event-ID} gets only the
     * rest), and {@code done} with the whole submission, after which the stream ends.
     */
    private void events(Context ctx) throws InterruptedException {
        ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
        Submission submission = submissions.get(key.userId(), ctx.pathParam("id"));
        AtomicInteger mine = streamsByKey.computeIfAbsent(key.id(), k -> new AtomicInteger());
        if (mine.incrementAndGet() > STREAMS_PER_KEY || !streams.tryAcquire()) {
            release(key.id(), mine, false);
            throw ApiError.tooManyRequests("too_many_streams", "this API key has " + STREAMS_PER_KEY
                    + " event streams open at most", Duration.ofSeconds(5));
        }
        try {
            stream(ctx, key, submission);
        } catch (UncheckedIOException e) {
            // The client went away.
        } finally {
            release(key.id(), mine, true);
        }
    }

    private void release(String keyId, AtomicInteger mine, boolean acquired) {
        if (acquired) {
            streams.release();
        }
        if (mine.decrementAndGet() <= 0) {
            streamsByKey.remove(keyId, mine);
        }
    }

    private void stream(Context ctx, ApiKey key, Submission first) throws InterruptedException {
        EventStream events = new EventStream(ctx);
        int attempt = -1;
        int lastSeq = 0;
        String lastEventId = ctx.header("Last-Event-ID");
        if (lastEventId != null && lastEventId.matches("\\d{1,6}:\\d{1,9}")) {
            attempt = Integer.parseInt(lastEventId.substring(0, lastEventId.indexOf(':')));
            lastSeq = Integer.parseInt(lastEventId.substring(lastEventId.indexOf(':') + 1));
        }
        String lastStatus = null;
        long deadline = System.nanoTime() + MAX_STREAM.toNanos();
        long nextKeepAlive = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Submission submission = first;
        events.open();
        while (System.nanoTime() < deadline) {
            if (submission.attempts() != attempt) {
                // A new attempt (a node died and another grades it again) starts its cases anew.
                attempt = submission.attempts();
                lastSeq = 0;
                lastStatus = null;
            }
            if (!submission.status().equals(lastStatus)) {
                lastStatus = submission.status();
                events.send("status", Map.of("status", lastStatus, "attempt", attempt));
            }
            for (SubmissionRepository.CaseRow row : submissions.cases(submission, lastSeq)) {
                events.send("case", attempt + ":" + row.seq(), SubmissionService.readTree(row.report()));
                lastSeq = row.seq();
            }
            if (submission.finished()) {
                events.send("done", submissions.describe(submission));
                return;
            }
            if (System.nanoTime() > nextKeepAlive) {
                events.keepAlive();
                nextKeepAlive = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            }
            Thread.sleep(POLL_MILLIS);
            submission = submissions.get(key.userId(), submission.id());
        }
    }
}
