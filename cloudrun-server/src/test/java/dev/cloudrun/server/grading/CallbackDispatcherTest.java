package dev.cloudrun.server.grading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.db.DatabaseUrl;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallbackDispatcherTest {
    private static final Instant START = Instant.parse("2025-03-01T12:00:00Z");
    private static final String KEY_ID = "key-1";
    /** Generous, so that a loaded machine never times a delivery out; no test waits for it. */
    private static final CallbackSettings SETTINGS = new CallbackSettings(Duration.ofHours(24), Duration.ofSeconds(10),
            Duration.ofHours(1), Duration.ofSeconds(30), 4, Duration.ofSeconds(1));
    private static final Function<String, Optional<byte[]>> PAYLOADS = id -> id.startsWith("gone")
            ? Optional.empty()
            : Optional.of(("{\"id\":\"" + id + "\",\"status\":\"DONE\",\"score\":1.0}").getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(START);
    private final CallbackSigner signer = new CallbackSigner("test-server-secret-of-32-bytes-or-more".getBytes(StandardCharsets.UTF_8));
    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private Database database;
    private Receiver receiver;

    /** A clock the test moves by hand. */
    private static final class TestClock extends Clock {
        private final AtomicLong millis;

        TestClock(Instant start) {
            this.millis = new AtomicLong(start.toEpochMilli());
        }

        void advance(Duration duration) {
            millis.addAndGet(duration.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }

    /** One request the receiver got. */
    private record Received(String path, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A real HTTP receiver on 127.0.0.1 that answers 200 unless told otherwise, and records what it got. */
    private static final class Receiver implements AutoCloseable {
        final HttpServer server;
        final List<Received> requests = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<Integer> nextStatuses = new ConcurrentLinkedQueue<>();

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", this::handle);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        private void handle(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = exchange.getRequestHeaders().entrySet().stream().collect(Collectors.toMap(
                    entry -> entry.getKey().toLowerCase(Locale.ROOT), entry -> entry.getValue().get(0)));
            requests.add(new Received(exchange.getRequestURI().getPath(), headers, body));
            Integer status = nextStatuses.poll();
            int code = status == null ? 200 : status;
            if (code == 302) {
                exchange.getResponseHeaders().set("Location", url("/elsewhere"));
            }
            byte[] answer = (code == 500 ? "database is down" : "ok").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }

        @Override
        public void close() {
            server.stop(0);
            ((ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    private record CallbackRow(String state, int attempts, Long nextAt) { }

    @BeforeEach
    void openDatabase() throws IOException {
        database = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("cloudrun.db")));
        receiver = new Receiver();
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO users (id, username, username_key, guest,"
                + " created_at) VALUES ('user-1', 'grader', 'grader', 0, 0)").execute());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : closeLast) {
            closeable.close();
        }
        receiver.close();
        database.close();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(thread -> thread.isAlive() && thread.getName().startsWith("cloudrun-callback")));
    }

    private CallbackDispatcher dispatcher(Jdbi jdbi, boolean allowPrivate) {
        CallbackDispatcher dispatcher = new CallbackDispatcher(jdbi, clock, signer, new CallbackFence(allowPrivate), PAYLOADS,
                SETTINGS);
        closeLast.add(0, dispatcher);
        return dispatcher;
    }

    private void insertFinished(String id, String callbackUrl, Instant finishedAt) {
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO submissions (id, user_id, key_id, language,"
                        + " source, callback_url, status, ticket, attempts, created_at, finished_at, callback_state,"
                        + " callback_attempts, callback_next_at) VALUES (:id, 'user-1', :key, 'python', :source, :url, 'DONE',"
                        + " 1, 1, :finished, :finished, 'PENDING', 0, :finished)")
                .bind("id", id).bind("key", KEY_ID).bind("source", "print(1)".getBytes(StandardCharsets.UTF_8))
                .bind("url", callbackUrl).bind("finished", finishedAt.toEpochMilli())
                .execute());
    }

    private CallbackRow row(String id) {
        return database.jdbi().withHandle(handle -> handle.createQuery("SELECT callback_state, callback_attempts,"
                        + " callback_next_at FROM submissions WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> new CallbackRow(rs.getString(1), rs.getInt(2), rs.getObject(3) == null ? null : rs.getLong(3)))
                .one());
    }

    @Test
    void deliversOnceWithASignatureThatVerifies() {
        insertFinished("sub-1", receiver.url("/hooks/cloudrun"), START);
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), true);

        assertThat(dispatcher.deliverDue()).isEqualTo(1);

        assertThat(receiver.requests).hasSize(1);
        Received request = receiver.requests.get(0);
        assertThat(request.path()).isEqualTo("/hooks/cloudrun");
        assertThat(request.body()).isEqualTo(PAYLOADS.apply("sub-1").orElseThrow());
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        assertThat(request.header("X-CloudRun-Submission")).isEqualTo("sub-1");
        assertThat(request.header("X-CloudRun-Attempt")).isEqualTo("1");
        assertThat(request.header("X-CloudRun-Timestamp")).isEqualTo(Long.toString(START.getEpochSecond()));
        assertThat(CallbackSigner.verify(signer.signingSecret(KEY_ID), request.header("X-CloudRun-Timestamp"),
                request.header("X-CloudRun-Signature"), request.body(), clock, CallbackSigner.DEFAULT_TOLERANCE)).isTrue();
        assertThat(row("sub-1")).isEqualTo(new CallbackRow("DELIVERED", 1, null));
        assertThat(dispatcher.attempts("sub-1")).singleElement().satisfies(attempt -> {
            assertThat(attempt.attempt()).isEqualTo(1);
            assertThat(attempt.attemptedAtMillis()).isEqualTo(START.toEpochMilli());
            assertThat(attempt.statusCode()).isEqualTo(200);
            assertThat(attempt.error()).isNull();
            assertThat(attempt.durationMs()).isNotNegative();
        });

        clock.advance(Duration.ofDays(2));
        assertThat(dispatcher.deliverDue()).isZero();
        assertThat(receiver.requests).hasSize(1);
    }

    @Test
    void retriesAFailureAfterTheBackoffThenDelivers() {
        insertFinished("sub-1", receiver.url("/hook"), START);
        receiver.nextStatuses.add(500);
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), true);

        assertThat(dispatcher.deliverDue()).isEqualTo(1);
        assertThat(row("sub-1")).isEqualTo(new CallbackRow("PENDING", 1, START.plusSeconds(10).toEpochMilli()));

        clock.advance(Duration.ofSeconds(9));
        assertThat(dispatcher.deliverDue()).as("not due before the back-off").isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(dispatcher.deliverDue()).isEqualTo(1);

        assertThat(row("sub-1")).isEqualTo(new CallbackRow("DELIVERED", 2, null));
        assertThat(receiver.requests).extracting(request -> request.header("X-CloudRun-Attempt")).containsExactly("1", "2");
        List<CallbackAttempt> attempts = dispatcher.attempts("sub-1");
        assertThat(attempts).extracting(CallbackAttempt::attempt).containsExactly(1, 2);
        assertThat(attempts).extracting(CallbackAttempt::statusCode).containsExactly(500, 200);
        assertThat(attempts.get(0).error()).isEqualTo("the receiver answered HTTP 500: database is down");
        assertThat(attempts.get(1).attemptedAtMillis()).isEqualTo(START.plusSeconds(10).toEpochMilli());
        assertThat(attempts.get(1).error()).isNull();
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        CallbackSettings defaults = CallbackSettings.defaults();

        assertThat(defaults.backoff(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.backoff(2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.backoff(3)).isEqualTo(Duration.ofSeconds(40));
        assertThat(defaults.backoff(9)).isEqualTo(Duration.ofSeconds(2560));
        assertThat(defaults.backoff(10)).isEqualTo(Duration.ofHours(1));
        assertThat(defaults.backoff(1_000)).isEqualTo(Duration.ofHours(1));
        assertThat(defaults.claimTime()).isGreaterThan(defaults.requestTimeout());
    }

    @Test
    void failsForGoodOnceTheRetryWindowHasClosed() {
        insertFinished("late", receiver.url("/hook"), START.minus(Duration.ofHours(25)));
        insertFinished("closing", receiver.url("/hook"), START.minus(Duration.ofHours(24)).plusSeconds(5));
        receiver.nextStatuses.addAll(List.of(500, 500, 500));
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), true);

        assertThat(dispatcher.deliverDue()).isEqualTo(2);

        assertThat(row("late")).isEqualTo(new CallbackRow("FAILED", 1, null));
        assertThat(row("closing")).as("the last attempt is made when the window closes")
                .isEqualTo(new CallbackRow("PENDING", 1, START.plusSeconds(5).toEpochMilli()));
        clock.advance(Duration.ofSeconds(5));
        assertThat(dispatcher.deliverDue()).isEqualTo(1);
        assertThat(row("closing")).isEqualTo(new CallbackRow("FAILED", 2, null));
        assertThat(dispatcher.attempts("closing")).extracting(CallbackAttempt::statusCode).containsExactly(500, 500);

        clock.advance(Duration.ofDays(1));
        assertThat(dispatcher.deliverDue()).isZero();
        assertThat(receiver.requests).hasSize(3);
    }

    @Test
    void doesNotFollowARedirect() {
        insertFinished("sub-1", receiver.url("/hook"), START);
        receiver.nextStatuses.add(302);
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), true);

        assertThat(dispatcher.deliverDue()).isEqualTo(1);

        assertThat(receiver.requests).extracting(Received::path).containsExactly("/hook");
        assertThat(dispatcher.attempts("sub-1")).singleElement().satisfies(attempt -> {
            assertThat(attempt.statusCode()).isEqualTo(302);
            assertThat(attempt.error()).contains("HTTP 302", "redirects are not followed");
        });
        assertThat(row("sub-1").state()).isEqualTo("PENDING");
    }

    @Test
    void neverContactsAPrivateAddressAndRecordsTheRefusal() {
        insertFinished("sub-1", receiver.url("/hook"), START);
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), false);

        assertThat(dispatcher.deliverDue()).isEqualTo(1);

        assertThat(receiver.requests).isEmpty();
        assertThat(dispatcher.attempts("sub-1")).singleElement().satisfies(attempt -> {
            assertThat(attempt.statusCode()).isNull();
            assertThat(attempt.error()).startsWith("not sent: ").contains("127.0.0.1", "may not reach");
        });
        assertThat(row("sub-1")).as("retried like any failure, in case DNS changes")
                .isEqualTo(new CallbackRow("PENDING", 1, START.plusSeconds(10).toEpochMilli()));
    }

    @Test
    void recordsAMissingResultAsAFailedAttempt() {
        insertFinished("gone-1", receiver.url("/hook"), START);
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), true);

        assertThat(dispatcher.deliverDue()).isEqualTo(1);

        assertThat(receiver.requests).isEmpty();
        assertThat(dispatcher.attempts("gone-1")).singleElement()
                .satisfies(attempt -> assertThat(attempt.error()).contains("not available"));
    }

    @Test
    void twoNodesOnOneDatabaseDeliverEachCallbackExactlyOnce() throws Exception {
        int count = 30;
        for (int i = 0; i < count; i++) {
            insertFinished(String.format("sub-%02d", i), receiver.url("/hook"), START);
        }
        try (Database otherNode = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("cloudrun.db")))) {
            List<CallbackDispatcher> nodes = List.of(dispatcher(database.jdbi(), true), dispatcher(otherNode.jdbi(), true));
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> made = new ArrayList<>();
                for (CallbackDispatcher node : nodes) {
                    made.add(threads.submit(() -> {
                        go.await();
                        int attempts = 0;
                        long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(2); // a safety net only
                        while (pending() > 0 && System.nanoTime() < giveUp) {
                            attempts += node.deliverDue();
                        }
                        return attempts;
                    }));
                }
                go.countDown();
                assertThat(made.get(0).get() + made.get(1).get()).isEqualTo(count);
            } finally {
                threads.shutdownNow();
            }
        }

        Map<String, Long> perSubmission = receiver.requests.stream()
                .collect(Collectors.groupingBy(request -> request.header("X-CloudRun-Submission"), Collectors.counting()));
        assertThat(perSubmission).hasSize(count).allSatisfy((id, times) -> assertThat(times).as(id).isEqualTo(1));
        assertThat(count("SELECT COUNT(*) FROM callback_attempts")).isEqualTo(count);
        assertThat(count("SELECT COUNT(*) FROM submissions WHERE callback_state = 'DELIVERED' AND callback_attempts = 1"))
                .isEqualTo(count);
    }

    private int pending() {
        return count("SELECT COUNT(*) FROM submissions WHERE callback_state = 'PENDING'");
    }

    private int count(String query) {
        return database.jdbi().withHandle(handle -> handle.createQuery(query).mapTo(Integer.class).one());
    }

    @Test
    void startPollsUntilClosed() {
        insertFinished("sub-1", receiver.url("/hook"), START);
        CallbackDispatcher dispatcher = dispatcher(database.jdbi(), true);
        var scheduler = Executors.newSingleThreadScheduledExecutor();
        closeLast.add(scheduler::shutdownNow);

        dispatcher.start(scheduler);

        await().atMost(Duration.ofSeconds(60)).until(() -> "DELIVERED".equals(row("sub-1").state()));
        dispatcher.close();
        assertThat(receiver.requests).hasSize(1);
    }
}
