package dev.cloudrun.server.compat.judge0;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.grading.CallbackFence;
import dev.cloudrun.server.grading.CallbackSigner;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.runs.RunService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes Judge0 submissions from the table's queue and runs them. Rows wait as data; a row gets a run
 * only when one of this node's slots is free, claimed with a lease so that two nodes never take the
 * same row and a dead node's rows go back to the queue. After a run the result is stored and, when
 * asked, PUT to the callback URL as Judge0 does (its default fields, base64 encoded; 3 tries, 5 s each),
 * signed like CloudRun's grading callbacks when the submission came with an API key.
 */
final class Judge0Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Judge0Worker.class);
    private static final int CALLBACK_TRIES = 3;
    private static final Duration CALLBACK_TIMEOUT = Duration.ofSeconds(5);

    private final Judge0Store store;
    private final RunService runs;
    private final Judge0Languages languages;
    private final Limits ceiling;
    private final CallbackSigner signer;
    private final CallbackFence fence;
    private final Clock clock;
    private final ExecutorService callbacks;
    private final Semaphore slots;
    private final String node;
    /** Counts the rows this node finished; {@code wait=true} callers on this node wake on it. */
    private final Object finishedSignal = new Object();
    private long finishedCount;
    private final long leaseMillis;
    /** The tokens this node has claimed and not yet finished. */
    private final java.util.Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final long SWEEP_MILLIS = 5_000;
    private long lastSweep;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CALLBACK_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    Judge0Worker(Judge0Store store, RunService runs, Judge0Languages languages, Limits ceiling, CallbackSigner signer,
                 CallbackFence fence, Clock clock, ExecutorService callbacks, int slots, Duration lease,
                 String node) {
        this.store = store;
        this.runs = runs;
        this.languages = languages;
        this.ceiling = ceiling;
        this.signer = signer;
        this.fence = fence;
        this.clock = clock;
        this.callbacks = callbacks;
        this.slots = new Semaphore(slots);
        this.leaseMillis = lease.toMillis();
        this.node = node;
    }

    void start(ScheduledExecutorService scheduler) {
        scheduler.scheduleWithFixedDelay(this::poll, 200, 200, TimeUnit.MILLISECONDS);
        long renewal = Math.max(500, leaseMillis / 3);
        scheduler.scheduleWithFixedDelay(this::renewLeases, renewal, renewal, TimeUnit.MILLISECONDS);
    }

    /** Keeps this node's claims on the rows it runs: a lease that runs out means the node died. */
    private void renewLeases() {
        try {
            if (!running.isEmpty()) {
                store.renewLeases(java.util.List.copyOf(running), node, clock.millis() + leaseMillis);
            }
        } catch (RuntimeException e) {
            LOG.warn("the Judge0 leases could not be renewed: {}", e.toString());
        }
    }

    /** @return how many rows this node has finished so far (see {@link #awaitFinishAfter}) */
    long finishedCount() {
        synchronized (finishedSignal) {
            return finishedCount;
        }
    }

    /**
     * Waits until this node finishes another row than the {@code seen} first ones, or the time is up
     * (a row another node runs is seen only by reading the store again).
     *
     * @param seen {@link #finishedCount()} read before the caller last looked at the store
     * @param millis the most to wait
     * @throws InterruptedException if interrupted
     */
    void awaitFinishAfter(long seen, long millis) throws InterruptedException {
        synchronized (finishedSignal) {
            if (finishedCount == seen) {
                finishedSignal.wait(millis);
            }
        }
    }

    /** Claims as many waiting rows as there are free slots, and starts them. */
    synchronized void poll() {
        try {
            // Leases are renewed while a row runs: a sweep every few seconds (at most a lease) finds a dead node's
            // rows in time, and the 200 ms poll itself stays a read.
            long now = clock.millis();
            if (now - lastSweep >= Math.min(SWEEP_MILLIS, leaseMillis)) {
                lastSweep = now;
                store.requeueExpired(now);
            }
            int free = slots.availablePermits();
            if (free == 0) {
                return;
            }
            for (String token : store.queued(free)) {
                if (!slots.tryAcquire()) {
                    return;
                }
                now = clock.millis();
                if (!store.claim(token, node, now, now + leaseMillis)) {
                    slots.release();
                    continue;
                }
                running.add(token);
                if (!startClaimed(token)) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("the Judge0 queue could not be read: {}", e.toString());
        }
    }

    /** @return false when CloudRun refused for now (quota, queue): the row waits and polling stops this round */
    private boolean startClaimed(String token) {
        Judge0Store.Row row = store.find(token).orElse(null);
        if (row == null) {
            running.remove(token);
            slots.release();
            return true;
        }
        JsonNode params;
        RunRequest request;
        Language language;
        try {
            params = Json.MAPPER.readTree(row.request());
            Judge0Languages.Entry entry = languages.find(row.languageId()).orElseThrow(() ->
                    new IllegalStateException("language " + row.languageId() + " is no longer served"));
            language = languages.language(entry);
            request = Judge0Request.toRunRequest(params, row.additionalFiles(), language, ceiling);
        } catch (Exception e) {
            finish(row, Judge0Status.INTERNAL_ERROR, internalError(e.getMessage()));
            return true;
        }
        Judge0Runs repeats = new Judge0Runs(params.path("number_of_runs").asInt(1));
        try {
            startRun(row, params, request, language, repeats);
            return true;
        } catch (ApiError e) {
            store.release(token, node);
            running.remove(token);
            slots.release();
            if (e.status() == 429 || e.status() == 503) {
                return false;
            }
            finish(row, Judge0Status.INTERNAL_ERROR, internalError(e.getMessage()));
            return true;
        } catch (RuntimeException e) {
            finish(row, Judge0Status.INTERNAL_ERROR, internalError(e.getMessage()));
            return true;
        }
    }

    private void startRun(Judge0Store.Row row, JsonNode params, RunRequest request, Language language, Judge0Runs repeats) {
        Principal user = new Principal(row.ownerId(), null, false);
        runs.startPrepared(user, row.address(), request, language, null, "judge0", row.keyId() != null, RunListener.NONE,
                outcome -> ranOnce(row, params, request, language, repeats, outcome.result()));
    }

    /** {@code number_of_runs}: another run in a fresh sandbox while Judge0 would go on, then the averaged report. */
    private void ranOnce(Judge0Store.Row row, JsonNode params, RunRequest request, Language language, Judge0Runs repeats,
                         RunResult result) {
        boolean another;
        try {
            another = repeats.another(result, Judge0Status.of(result, params.path("cpu_time_limit").asDouble(),
                    Judge0Request.bytes(params, "expected_output")));
        } catch (RuntimeException e) {
            another = false;
        }
        if (another) {
            try {
                startRun(row, params, request, language, repeats);
                return;
            } catch (RuntimeException e) {
                // A quota or a full queue mid-way: report the runs made so far rather than hold the slot.
                LOG.info("Judge0 submission {} stopped after {} run(s): {}", row.token(), repeats.done(), e.toString());
            }
        }
        completed(row, params, repeats.reported(result));
    }

    private void completed(Judge0Store.Row row, JsonNode params, RunResult result) {
        try {
            Judge0Status status = Judge0Status.of(result, params.path("cpu_time_limit").asDouble(),
                    Judge0Request.bytes(params, "expected_output"));
            ObjectNode stored = Json.MAPPER.createObjectNode();
            // redirect_stderr_to_stdout is the sandbox's (RunRequest.withStderrToStdout): stderr is then empty.
            byte[] stdout = result.stdoutBytes();
            byte[] stderr = result.stderrBytes();
            if (status == Judge0Status.COMPILATION_ERROR) {
                String compiled = result.compilerOutput() == null || result.compilerOutput().isEmpty()
                        ? (result.message() == null ? "" : result.message()) : result.compilerOutput();
                put(stored, "compile_output", compiled.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else {
                put(stored, "stdout", stdout);
                put(stored, "stderr", stderr);
                stored.put("time", seconds(result.cpuTime()));
                stored.put("wall_time", seconds(result.wallTime()));
                stored.put("memory", result.memoryBytes() / 1024);
                stored.put("exit_code", result.exitCode());
                if (result.signal().isPresent()) {
                    stored.put("exit_signal", result.signal().get());
                }
                if (status == Judge0Status.TIME_LIMIT_EXCEEDED) {
                    stored.put("message", "Time limit exceeded");
                } else if (status == Judge0Status.INTERNAL_ERROR || status.id >= 7 && status.id <= 12) {
                    String message = result.message() != null ? result.message()
                            : result.signal().map(signal -> "Caught fatal signal " + signal)
                            .orElse("Exited with error status " + result.exitCode());
                    stored.put("message", message);
                }
            }
            finish(row, status, stored);
        } catch (RuntimeException e) {
            LOG.error("could not store the result of Judge0 submission {}", row.token(), e);
            finish(row, Judge0Status.INTERNAL_ERROR, internalError(e.getMessage()));
        } finally {
            slots.release();
        }
    }

    private void finish(Judge0Store.Row row, Judge0Status status, ObjectNode result) {
        running.remove(row.token());
        try {
            store.finish(row.token(), node, status.id, Json.write(result).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    clock.millis());
        } catch (RuntimeException e) {
            LOG.error("could not store the end of Judge0 submission {}", row.token(), e);
            return;
        }
        synchronized (finishedSignal) {
            finishedCount++;
            finishedSignal.notifyAll();
        }
        if (row.callbackUrl() != null) {
            callbacks.execute(() -> callback(row.token()));
        }
    }

    /** Judge0's {@code call_callback}: a PUT of the default fields, base64 encoded; up to 3 tries; answers ignored. */
    private void callback(String token) {
        Judge0Store.Row row = store.find(token).orElse(null);
        if (row == null || row.callbackUrl() == null) {
            return;
        }
        URI url = URI.create(row.callbackUrl());
        if (fence.refusal(url).isPresent()) {
            LOG.info("Judge0 callback of {} not sent: {}", token, fence.refusal(url).get());
            return;
        }
        byte[] body = Json.write(Judge0Submissions.serialize(row, Judge0Submissions.DEFAULT_FIELDS, true, languages))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int attempt = 1; attempt <= CALLBACK_TRIES; attempt++) {
            long timestamp = clock.millis() / 1000;
            HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(CALLBACK_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header(CallbackSigner.SUBMISSION_HEADER, token)
                    .header(CallbackSigner.ATTEMPT_HEADER, String.valueOf(attempt))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
            if (row.keyId() != null) {
                request.header(CallbackSigner.TIMESTAMP_HEADER, String.valueOf(timestamp))
                        .header(CallbackSigner.SIGNATURE_HEADER, signer.signature(row.keyId(), timestamp, body));
            }
            try {
                http.send(request.build(), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (java.io.IOException e) {
                LOG.debug("Judge0 callback of {} failed (try {}): {}", token, attempt, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static ObjectNode internalError(String message) {
        ObjectNode result = Json.MAPPER.createObjectNode();
        result.put("message", message == null ? "internal error" : message);
        return result;
    }

    private static void put(ObjectNode stored, String name, byte[] bytes) {
        if (bytes != null && bytes.length > 0) {
            stored.put(name, Base64.getEncoder().encodeToString(bytes));
        }
    }

    /** Judge0's decimal seconds, as Rails renders them: "0.001". */
    private static String seconds(Duration duration) {
        return java.math.BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString();
    }
}
