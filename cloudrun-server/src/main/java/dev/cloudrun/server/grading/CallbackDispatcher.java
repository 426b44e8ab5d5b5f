package dev.cloudrun.server.grading;

import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.server.http.ApiError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the callbacks that tell clients their submissions are graded. Every server node runs
 * one; the database is the queue. A submission whose callback is due has
 * {@code callback_state = 'PENDING'} and {@code callback_next_at <= now}; a node claims it by moving
 * {@code callback_next_at} forward by {@link CallbackSettings#claimTime()}, only if no other node
 * moved it first, so two nodes never send the same attempt. A node that dies mid-delivery leaves
 * the claim to expire and another node sends that attempt again.
 *
 * <p>Each attempt checks the URL against the {@link CallbackFence} again (DNS may have changed),
 * POSTs the signed submission ({@link CallbackSigner}), follows no redirect (one could lead past
 * the fence) and reads at most {@value #MAX_RESPONSE_BYTES} bytes of the answer. A 2xx answer
 * makes the callback {@code DELIVERED}; anything else, a refused address included, is a failed
 * attempt, retried after an exponential back-off until the retry window since the submission
 * finished has closed, and then {@code FAILED}. Every attempt is recorded in
 * {@code callback_attempts}.
 */
public final class CallbackDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CallbackDispatcher.class);

    /** How much of a receiver's answer is read. */
    public static final int MAX_RESPONSE_BYTES = 4_096;
    private static final int BATCH_SIZE = 20;
    private static final int MAX_ERROR_CHARS = 500;
    private static final int SHOWN_BODY_CHARS = 200;
    private static final String FIELD = "callbackUrl";

    private static final RowMapper<Due> DUE_MAPPER = (rs, ctx) -> new Due(rs.getString("id"), rs.getString("key_id"),
            rs.getString("callback_url"), rs.getInt("callback_attempts"), rs.getLong("callback_next_at"),
            (Long) nullable(rs.getLong("finished_at"), rs.wasNull()));
    private static final RowMapper<CallbackAttempt> ATTEMPT_MAPPER = (rs, ctx) -> new CallbackAttempt(rs.getInt("attempt"),
            rs.getLong("attempted_at"), (Integer) nullable(rs.getInt("status_code"), rs.wasNull()), rs.getString("error"),
            rs.getLong("duration_ms"));

    private final Jdbi jdbi;
    private final Clock clock;
    private final CallbackSigner signer;
    private final CallbackFence fence;
    private final Function<String, Optional<byte[]>> payloads;
    private final CallbackSettings settings;
    /** Taken before a delivery is handed to a worker, so claimed callbacks never wait in a queue. */
    private final Semaphore slots;
    private final ExecutorService workers;
    private final ExecutorService httpThreads;
    private final HttpClient http;
    private volatile ScheduledFuture<?> polling;
    private volatile boolean pollFailing;

    /** A callback that is due, as selected. */
    private record Due(String submissionId, String keyId, String callbackUrl, int attempts, long nextAtMillis,
                       Long finishedAtMillis) { }

    /** A callback this node claimed, until {@code claimedUntilMillis}. */
    private record Claim(Due due, long claimedUntilMillis) { }

    /** How an attempt ended: a status code, an error, or both (a non-2xx answer). */
    private record Outcome(Integer statusCode, String error) {
        boolean delivered() {
            return error == null;
        }
    }

    /** Thrown when the node stops during a delivery: the claim expires and the attempt is made again. */
    private static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Creates the dispatcher; {@link #start} begins polling.
     *
     * @param jdbi the database
     * @param clock the time (attempts, back-off and signatures' timestamps)
     * @param signer signs each callback
     * @param fence where callbacks may go
     * @param payloads the body of a submission's callback, its {@code GET /api/submissions/{id}}
     *     answer; empty if the submission is gone
     * @param settings timeouts, back-off and concurrency
     */
    public CallbackDispatcher(Jdbi jdbi, Clock clock, CallbackSigner signer, CallbackFence fence,
            Function<String, Optional<byte[]>> payloads, CallbackSettings settings) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.signer = signer;
        this.fence = fence;
        this.payloads = payloads;
        this.settings = settings;
        this.slots = new Semaphore(settings.maxInFlight());
        this.workers = Executors.newFixedThreadPool(settings.maxInFlight(), new NamedThreadFactory("callback"));
        this.httpThreads = Executors.newCachedThreadPool(new NamedThreadFactory("callback-http"));
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.requestTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .executor(httpThreads)
                .build();
    }

    private static Object nullable(Object value, boolean wasNull) {
        return wasNull ? null : value;
    }

    /**
     * Polls for due callbacks every {@link CallbackSettings#pollInterval()} until {@link #close}.
     *
     * @param scheduler runs the polls (its thread only claims; deliveries run on the dispatcher's own)
     */
    public void start(ScheduledExecutorService scheduler) {
        long interval = settings.pollInterval().toMillis();
        polling = scheduler.scheduleWithFixedDelay(this::poll, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            startDue();
            if (pollFailing) {
                pollFailing = false;
                LOG.info("callback polling works again");
            }
        } catch (RuntimeException e) {
            // A database outage must not end the periodic task: the next poll tries again.
            if (!pollFailing) {
                pollFailing = true;
                LOG.warn("cannot poll for due callbacks (retrying every {}): {}", settings.pollInterval(), e.toString());
            }
        }
    }

    /**
     * Makes one round: claims the callbacks due now (as many as there are free delivery slots) and
     * waits until their attempts are made and recorded.
     *
     * @return how many attempts were made
     */
    public int deliverDue() {
        int made = 0;
        for (Future<?> delivery : startDue()) {
            try {
                delivery.get();
                made++;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return made;
            } catch (ExecutionException | CancellationException e) {
                LOG.warn("a callback delivery failed unexpectedly", e);
            }
        }
        return made;
    }

    private List<Future<?>> startDue() {
        long now = clock.millis();
        List<Due> due = jdbi.withHandle(handle -> handle.createQuery("SELECT id, key_id, callback_url, callback_attempts,"
                        + " callback_next_at, finished_at FROM submissions WHERE callback_state = 'PENDING'"
                        + " AND callback_next_at <= :now ORDER BY callback_next_at, id LIMIT :limit")
                .bind("now", now).bind("limit", BATCH_SIZE).map(DUE_MAPPER).list());
        List<Future<?>> started = new ArrayList<>();
        for (Due callback : due) {
            if (!slots.tryAcquire()) {
                break; // the rest stay due for the next round, or another node
            }
            boolean handedOver = false;
            try {
                Optional<Claim> claim = claim(callback, now);
                if (claim.isPresent()) {
                    started.add(workers.submit(() -> {
                        try {
                            deliver(claim.get());
                        } catch (RuntimeException e) {
                            // Most likely the database: the claim expires and the attempt is made again.
                            LOG.warn("callback of submission {} could not be recorded", callback.submissionId(), e);
                        } finally {
                            slots.release();
                        }
                    }));
                    handedOver = true;
                }
            } finally {
                if (!handedOver) {
                    slots.release();
                }
            }
        }
        return started;
    }

    private Optional<Claim> claim(Due callback, long now) {
        long until = now + settings.claimTime().toMillis();
        int claimed = jdbi.withHandle(handle -> handle.createUpdate("UPDATE submissions SET callback_next_at = :until"
                        + " WHERE id = :id AND callback_state = 'PENDING' AND callback_next_at = :seen")
                .bind("until", until).bind("id", callback.submissionId()).bind("seen", callback.nextAtMillis())
                .execute());
        return claimed == 1 ? Optional.of(new Claim(callback, until)) : Optional.empty();
    }

    private void deliver(Claim claim) {
        int attempt = claim.due().attempts() + 1;
        long attemptedAt = clock.millis();
        long startNanos = System.nanoTime();
        Outcome outcome;
        try {
            outcome = send(claim.due(), attempt);
        } catch (Abandoned e) {
            LOG.info("stopped during callback attempt {} of submission {}; it will be made again", attempt,
                    claim.due().submissionId());
            return;
        }
        long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        record(claim, attempt, attemptedAt, durationMs, outcome);
    }

    private Outcome send(Due callback, int attempt) throws Abandoned {
        URI url;
        try {
            url = CallbackFence.checkUrl(callback.callbackUrl(), FIELD);
        } catch (ApiError e) {
            return new Outcome(null, e.getMessage());
        }
        Optional<String> refusal = fence.refusal(url);
        if (refusal.isPresent()) {
            return new Outcome(null, "not sent: " + refusal.get());
        }
        Optional<byte[]> body;
        try {
            body = payloads.apply(callback.submissionId());
        } catch (RuntimeException e) {
            LOG.warn("cannot build the callback body of submission {}", callback.submissionId(), e);
            return new Outcome(null, "not sent: the server could not build the submission's result");
        }
        if (body.isEmpty()) {
            return new Outcome(null, "not sent: the submission's result is not available");
        }
        long timestamp = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "CloudRun-Callback/1")
                .header(CallbackSigner.TIMESTAMP_HEADER, Long.toString(timestamp))
                .header(CallbackSigner.SIGNATURE_HEADER, signer.signature(callback.keyId(), timestamp, body.get()))
                .header(CallbackSigner.SUBMISSION_HEADER, callback.submissionId())
                .header(CallbackSigner.ATTEMPT_HEADER, Integer.toString(attempt))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.get()))
                .build();
        CompletableFuture<HttpResponse<byte[]>> response = http.sendAsync(request, info -> new LimitedBody(MAX_RESPONSE_BYTES));
        String seconds = settings.requestTimeout().toSeconds() + " s";
        try {
            // The request timeout stops waiting for the headers; this one also bounds a body that trickles.
            HttpResponse<byte[]> answer = response.get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return judge(answer.statusCode(), answer.body());
        } catch (TimeoutException e) {
            response.cancel(true);
            return new Outcome(null, "the receiver did not answer within " + seconds);
        } catch (InterruptedException e) {
            response.cancel(true);
            Thread.currentThread().interrupt();
            throw new Abandoned();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpConnectTimeoutException) {
                return new Outcome(null, "could not connect to " + url.getHost() + " within " + seconds);
            }
            if (cause instanceof HttpTimeoutException) {
                return new Outcome(null, "the receiver did not answer within " + seconds);
            }
            if (cause instanceof ConnectException) {
                return new Outcome(null, "could not connect to " + url.getHost() + (cause.getMessage() == null ? ""
                        : ": " + cause.getMessage()));
            }
            if (cause instanceof IOException) {
                return new Outcome(null, "the request failed: " + cause);
            }
            LOG.warn("callback to {} failed unexpectedly", url.getHost(), cause);
            return new Outcome(null, "the request failed: " + cause);
        }
    }

    private static Outcome judge(int status, byte[] body) {
        if (status >= 200 && status < 300) {
            return new Outcome(status, null);
        }
        StringBuilder error = new StringBuilder("the receiver answered HTTP " + status);
        if (status >= 300 && status < 400) {
            error.append(" (redirects are not followed: use the final URL as callbackUrl)");
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (!text.isEmpty()) {
            String cut = text.length() > SHOWN_BODY_CHARS ? text.substring(0, SHOWN_BODY_CHARS) + "…" : text;
            error.append(": ").append(cut.replaceAll("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]", " "));
        }
        return new Outcome(status, error.toString());
    }

    private void record(Claim claim, int attempt, long attemptedAt, long durationMs, Outcome outcome) {
        Due callback = claim.due();
        long now = clock.millis();
        String state;
        Long nextAt;
        if (outcome.delivered()) {
            state = "DELIVERED";
            nextAt = null;
        } else {
            long finishedAt = callback.finishedAtMillis() != null ? callback.finishedAtMillis() : attemptedAt;
            long deadline = finishedAt + settings.retryWindow().toMillis();
            if (now >= deadline) {
                state = "FAILED";
                nextAt = null;
            } else {
                state = "PENDING";
                nextAt = Math.min(now + settings.backoff(attempt).toMillis(), deadline);
            }
        }
        String error = outcome.error() == null || outcome.error().length() <= MAX_ERROR_CHARS ? outcome.error()
                : outcome.error().substring(0, MAX_ERROR_CHARS - 1) + "…";
        boolean recorded = jdbi.inTransaction(handle -> {
            int updated = handle.createUpdate("UPDATE submissions SET callback_state = :state, callback_attempts = :attempt,"
                            + " callback_next_at = :next WHERE id = :id AND callback_state = 'PENDING'"
                            + " AND callback_next_at = :claimed")
                    .bind("state", state).bind("attempt", attempt).bind("next", nextAt).bind("id", callback.submissionId())
                    .bind("claimed", claim.claimedUntilMillis())
                    .execute();
            if (updated == 0) {
                return false; // the claim expired and another node took over, or the callback was reset
            }
            handle.createUpdate("INSERT INTO callback_attempts (submission_id, attempt, attempted_at, status_code, error,"
                            + " duration_ms) VALUES (:id, :attempt, :at, :status, :error, :duration)")
                    .bind("id", callback.submissionId()).bind("attempt", attempt).bind("at", attemptedAt)
                    .bind("status", outcome.statusCode()).bind("error", error).bind("duration", durationMs)
                    .execute();
            return true;
        });
        if (!recorded) {
            LOG.warn("callback attempt {} of submission {} ended after its claim was taken over; not recorded", attempt,
                    callback.submissionId());
        } else if (state.equals("FAILED")) {
            LOG.warn("callback of submission {} failed for good after {} attempts; the last: {}", callback.submissionId(),
                    attempt, error);
        } else if (!outcome.delivered()) {
            LOG.info("callback attempt {} of submission {} failed ({}); next at {}", attempt, callback.submissionId(), error,
                    Instant.ofEpochMilli(nextAt));
        }
    }

    /**
     * @param submissionId the submission
     * @return its callback's attempts, first first
     */
    public List<CallbackAttempt> attempts(String submissionId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT attempt, attempted_at, status_code, error, duration_ms"
                        + " FROM callback_attempts WHERE submission_id = :id ORDER BY attempt")
                .bind("id", submissionId).map(ATTEMPT_MAPPER).list());
    }

    /**
     * Stops polling and waits briefly for deliveries under way; one still running is abandoned, and
     * its claim expires so that the attempt is made again. (Java 17's HttpClient cannot be closed: its
     * selector thread ends when the client is garbage-collected.)
     */
    @Override
    public void close() {
        ScheduledFuture<?> task = polling;
        if (task != null) {
            task.cancel(false);
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                workers.shutdownNow();
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        httpThreads.shutdownNow();
        try {
            httpThreads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps the first {@code limit} bytes of an answer and then hangs up, so a huge answer costs nothing. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription newSubscription) {
            subscription = newSubscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                int take = Math.min(buffer.remaining(), limit - bytes.size());
                byte[] chunk = new byte[take];
                buffer.get(chunk);
                bytes.write(chunk, 0, take);
            }
            if (bytes.size() >= limit) {
                subscription.cancel();
                result.complete(bytes.toByteArray());
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }
}
