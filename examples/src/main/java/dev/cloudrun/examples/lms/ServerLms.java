package dev.cloudrun.examples.lms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A tiny learning platform that grades through a CloudRun server: it creates a problem, submits
 * the students' solutions in one batch with a callback URL, and runs a small HTTP receiver that
 * checks each callback's signature before it enters the result in the gradebook. It needs only the
 * JDK (HttpClient, HttpServer, HMAC) and a JSON library.
 *
 * <pre>
 * CLOUDRUN_URL=http://127.0.0.1:8080 CLOUDRUN_API_KEY=cr_... CLOUDRUN_SIGNING_SECRET=whsec_... \
 *     java -cp ... dev.cloudrun.examples.lms.ServerLms
 * </pre>
 * The server must be allowed to call this machine back ({@code CLOUDRUN_CALLBACK_ALLOW_PRIVATE=true}
 * for a receiver on 127.0.0.1).
 */
public final class ServerLms implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMESTAMP_TOLERANCE = Duration.ofMinutes(5);

    /**
     * One student's solution.
     *
     * @param student who wrote it
     * @param language a CloudRun language id
     * @param source the program
     */
    public record Solution(String student, String language, String source) { }

    /**
     * A verified result, as the callback brought it.
     *
     * @param student who wrote the solution
     * @param submission the submission id
     * @param verdict the overall verdict, {@code ACCEPTED}, {@code WRONG_ANSWER}, ...
     * @param score the points earned
     * @param maxScore the points available
     * @param arrivedAt when the callback arrived
     */
    public record Grade(String student, String submission, String verdict, double score, double maxScore, Instant arrivedAt) { }

    /**
     * A callback as it was received, kept for auditing.
     *
     * @param timestamp the {@code X-CloudRun-Timestamp} header
     * @param signature the {@code X-CloudRun-Signature} header
     * @param body the raw body
     * @param verified whether the signature and timestamp checked out
     */
    public record Delivery(String timestamp, String signature, byte[] body, boolean verified) { }

    private final URI server;
    private final String apiKey;
    private final String signingSecret;
    private final HttpClient http = HttpClient.newHttpClient();
    private final HttpServer receiver;
    private final Consumer<Grade> onGrade;
    private final Map<String, String> students = new ConcurrentHashMap<>();
    private final Map<String, Grade> grades = new LinkedHashMap<>();
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    /**
     * Starts the callback receiver on a free port of 127.0.0.1.
     *
     * @param server the CloudRun server, e.g. {@code http://127.0.0.1:8080}
     * @param apiKey an API key with the {@code grade} scope, {@code cr_...}
     * @param signingSecret that key's signing secret, {@code whsec_...}
     * @param onGrade called with each new grade as its callback arrives
     */
    public ServerLms(URI server, String apiKey, String signingSecret, Consumer<Grade> onGrade) {
        this.server = server;
        this.onGrade = onGrade;
        this.apiKey = apiKey;
        this.signingSecret = signingSecret;
        try {
            receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        receiver.createContext("/callbacks", this::receive);
        receiver.start();
    }

    /** @return where the server posts results */
    public URI callbackUrl() {
        return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/callbacks");
    }

    /**
     * Stores a problem on the server.
     *
     * @param problem {@code name}, {@code cases} (each {@code name}, {@code input}, {@code output},
     *                optional {@code points}) and optional {@code timeLimit}
     * @return the problem's id
     */
    public String createProblem(Map<String, Object> problem) {
        return post("/api/problems", problem).path("id").asText();
    }

    /**
     * Submits solutions in one batch; each result comes back to {@link #callbackUrl()}.
     *
     * @param problemId the problem to grade against
     * @param solutions up to 200 solutions
     * @return the submission ids, in order
     */
    public synchronized List<String> submit(String problemId, List<Solution> solutions) {
        // Synchronized with record(), so that a fast callback waits until its student is known.
        List<Map<String, Object>> batch = new ArrayList<>();
        for (Solution solution : solutions) {
            batch.add(Map.of("problemId", problemId, "language", solution.language(), "source", solution.source(),
                    "callbackUrl", callbackUrl().toString()));
        }
        List<String> ids = new ArrayList<>();
        post("/api/submissions/batch", Map.of("submissions", batch)).path("submissions")
                .forEach(submission -> ids.add(submission.path("id").asText()));
        for (int i = 0; i < ids.size(); i++) {
            students.put(ids.get(i), solutions.get(i).student());
        }
        return ids;
    }

    /**
     * Waits until results for the given submissions have arrived.
     *
     * @param ids the submissions
     * @param timeout how long to wait at most
     * @return their grades, by submission id
     * @throws IllegalStateException if some are still missing after the timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public synchronized Map<String, Grade> awaitGrades(List<String> ids, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!grades.keySet().containsAll(ids)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                long missing = ids.stream().filter(id -> !grades.containsKey(id)).count();
                throw new IllegalStateException(missing + " results missing after " + timeout);
            }
            wait(Math.max(1, left / 1_000_000));
        }
        Map<String, Grade> result = new LinkedHashMap<>();
        ids.forEach(id -> result.put(id, grades.get(id)));
        return result;
    }

    /** @return every callback received so far, verified or not */
    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /**
     * Checks a callback the way the server signs it: HMAC-SHA256, keyed with the signing secret, of
     * the timestamp, a dot and the raw body, compared in constant time; and a timestamp within five
     * minutes of now, so that a recorded callback cannot be replayed later.
     *
     * @param signingSecret the key's {@code whsec_...} secret
     * @param timestamp the {@code X-CloudRun-Timestamp} header, or null
     * @param signature the {@code X-CloudRun-Signature} header, or null
     * @param body the raw body, before any parsing
     * @param now the receiver's clock
     * @return true if the callback is genuine and recent
     */
    public static boolean verify(String signingSecret, String timestamp, String signature, byte[] body, Instant now) {
        if (timestamp == null || signature == null || !timestamp.matches("[0-9]{1,18}")) {
            return false;
        }
        if (Math.abs(now.getEpochSecond() - Long.parseLong(timestamp)) > TIMESTAMP_TOLERANCE.toSeconds()) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(signingSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
            String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
            return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), signature.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    private void receive(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String timestamp = exchange.getRequestHeaders().getFirst("X-CloudRun-Timestamp");
            String signature = exchange.getRequestHeaders().getFirst("X-CloudRun-Signature");
            boolean verified = verify(signingSecret, timestamp, signature, body, Instant.now());
            deliveries.add(new Delivery(timestamp, signature, body, verified));
            if (!verified) {
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            JsonNode submission = JSON.readTree(body);
            String id = submission.path("id").asText();
            Grade grade = new Grade(students.getOrDefault(id, id), id, submission.path("verdict").asText(),
                    submission.path("score").asDouble(), submission.path("maxScore").asDouble(), Instant.now());
            record(grade);
            exchange.sendResponseHeaders(204, -1);
        }
    }

    private synchronized void record(Grade grade) {
        // A callback may come twice; the submission id tells duplicates apart.
        if (grades.putIfAbsent(grade.submission(), grade) == null) {
            onGrade.accept(grade);
            notifyAll();
        }
    }

    private JsonNode post(String path, Object body) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.resolve(path))
                    .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException("POST " + path + ": " + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops the receiver. */
    @Override
    public void close() {
        receiver.stop(0);
    }

    /** The sum problem, three cases, the last worth two points. */
    static Map<String, Object> sumProblem() {
        return Map.of("name", "sum", "timeLimit", "1s", "cases", List.of(
                Map.of("name", "small", "input", "2 3\n", "output", "5\n"),
                Map.of("name", "negative", "input", "-4 1\n", "output", "-3\n"),
                Map.of("name", "big", "input", "1000000000 2000000000\n", "output", "3000000000\n", "points", 2)));
    }

    /** Four students: right, overflowing, right in Java, and one that does not compile. */
    static List<Solution> sampleSolutions() {
        return List.of(
                new Solution("ada", "python", "a, b = map(int, input().split())\nprint(a + b)\n"),
                new Solution("brian", "c", "#include <stdio.h>\nint main(void) { int a, b; scanf(\"%d %d\", &a, &b);"
                        + " printf(\"%d\\n\", a + b); return 0; }\n"),
                new Solution("grace", "java", "import java.util.Scanner;\npublic class Main {\n"
                        + "    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n"
                        + "        System.out.println(in.nextLong() + in.nextLong());\n    }\n}\n"),
                new Solution("linus", "c", "int main(void) { return 0 }\n"));
    }

    /**
     * Creates the sum problem, submits four students' solutions and prints each grade as its
     * verified callback arrives.
     *
     * @param args unused; the server, key and secret come from the environment
     * @throws InterruptedException if interrupted while waiting
     */
    public static void main(String[] args) throws InterruptedException {
        URI server = URI.create(System.getenv().getOrDefault("CLOUDRUN_URL", "http://127.0.0.1:8080"));
        String apiKey = System.getenv("CLOUDRUN_API_KEY");
        String signingSecret = System.getenv("CLOUDRUN_SIGNING_SECRET");
        if (apiKey == null || signingSecret == null) {
            System.err.println("set CLOUDRUN_API_KEY and CLOUDRUN_SIGNING_SECRET to a grade key and its secret;"
                    + " see examples/lms-grader/README.md");
            System.exit(2);
        }
        try (ServerLms lms = new ServerLms(server, apiKey, signingSecret,
                grade -> System.out.printf(Locale.ROOT, "%-10s %4.1f/%-4.1f %s%n",
                        grade.student(), grade.score(), grade.maxScore(), grade.verdict()))) {
            String problem = lms.createProblem(sumProblem());
            List<String> ids = lms.submit(problem, sampleSolutions());
            System.out.println("submitted " + ids.size() + " solutions; callbacks to " + lms.callbackUrl());
            lms.awaitGrades(ids, Duration.ofMinutes(5));
        }
    }
}
