package dev.cloudrun.server.grading;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.TestSuite;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import org.jdbi.v3.core.Jdbi;

/**
 * Problems: a suite is checked whole when it is uploaded (so a bad one is refused with the field
 * named and nothing stored), stored as uploaded, and read back into a {@link TestSuite} for grading,
 * through a small cache of the latest versions.
 */
final class ProblemService {
    static final String JSON = "json";
    static final String ZIP = "zip";
    /** The suites kept parsed, at most this many bytes of cases together. */
    private static final long CACHE_BYTES = 256L * 1024 * 1024;
    /** Zips unpacked at once: each may hold up to 256 MiB while it is read. */
    private static final int CONCURRENT_UNPACKS = 2;

    private final ProblemRepository problems;
    private final Clock clock;
    private final Path scratch;
    private final int maxPerUser;
    private final Map<String, Cached> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;
    private final Semaphore unpacks = new Semaphore(CONCURRENT_UNPACKS);

    private record Cached(TestSuite suite, long bytes) { }

    ProblemService(Jdbi jdbi, Clock clock, Path scratch, int maxPerUser) {
        this.problems = new ProblemRepository(jdbi);
        this.clock = clock;
        this.scratch = scratch;
        this.maxPerUser = maxPerUser;
        ProblemZip.sweep(scratch);
    }

    /** An upload: its name, format and bytes. */
    record Upload(String name, String format, byte[] content) {
        Upload {
            String label = name == null ? "" : name.strip();
            if (label.isEmpty() || label.length() > 200 || label.chars().anyMatch(Character::isISOControl)) {
                throw ApiError.badField("invalid_field", "name", "name must be 1 to 200 characters without control characters");
            }
            name = label;
        }
    }

    Problem create(String ownerId, Upload upload) {
        TestSuite suite = parse(upload.format(), upload.content());
        long now = clock.millis();
        Problem problem = new Problem(UUID.randomUUID().toString(), ownerId, upload.name(), 1, upload.format(),
                suite.cases().size(), suite.maxScore(), now, now);
        if (!problems.insert(problem, upload.content(), maxPerUser)) {
            throw ApiError.conflict("too_many_problems", "name", "you have " + maxPerUser + " problems already: delete one first");
        }
        return problem;
    }

    Problem replace(String ownerId, String id, Upload upload) {
        Problem current = get(ownerId, id);
        TestSuite suite = parse(upload.format(), upload.content());
        Problem replacement = new Problem(id, ownerId, upload.name(), current.version() + 1, upload.format(),
                suite.cases().size(), suite.maxScore(), current.createdAtMillis(), clock.millis());
        problems.replace(replacement, upload.content()).orElseThrow(() -> ApiError.notFound("problem"));
        return get(ownerId, id);
    }

    Problem get(String ownerId, String id) {
        return problems.find(ownerId, id).orElseThrow(() -> ApiError.notFound("problem"));
    }

    List<Problem> list(String ownerId, int limit, int offset) {
        return problems.list(ownerId, limit, offset);
    }

    void delete(String ownerId, String id) {
        if (!problems.delete(ownerId, id)) {
            throw ApiError.notFound("problem");
        }
    }

    /** The stored upload of a problem, as it was sent. */
    byte[] content(Problem problem) {
        return problems.suite(problem.id(), problem.version()).orElseThrow(() -> ApiError.notFound("problem"));
    }

    /** The current suite of a problem, for grading; empty when the problem was deleted. */
    Optional<TestSuite> suite(Problem problem) {
        String cacheKey = problem.id() + "@" + problem.version();
        synchronized (cache) {
            Cached cached = cache.get(cacheKey);
            if (cached != null) {
                return Optional.of(cached.suite());
            }
        }
        Optional<TestSuite> suite = problems.suite(problem.id(), problem.version()).map(bytes -> parse(problem.format(), bytes));
        suite.ifPresent(value -> remember(cacheKey, value));
        return suite;
    }

    /** A problem by id alone, for the grading side (the submission's owner was checked when it was made). */
    Optional<Problem> findForGrading(String ownerId, String id) {
        return problems.find(ownerId, id);
    }

    private void remember(String cacheKey, TestSuite suite) {
        long bytes = suite.cases().stream().mapToLong(c -> c.input().length + c.expectedOutput().map(o -> o.length).orElse(0)
                + c.files().values().stream().mapToLong(f -> f.length).sum()
                + c.expectedFiles().values().stream().mapToLong(f -> f.length).sum()).sum();
        synchronized (cache) {
            Cached previous = cache.put(cacheKey, new Cached(suite, bytes));
            cachedBytes += bytes - (previous == null ? 0 : previous.bytes());
            for (var eldest = cache.entrySet().iterator(); cachedBytes > CACHE_BYTES && eldest.hasNext(); ) {
                cachedBytes -= eldest.next().getValue().bytes();
                eldest.remove();
            }
        }
    }

    TestSuite parse(String format, byte[] content) {
        if (ZIP.equals(format)) {
            unpacks.acquireUninterruptibly();
            try {
                return ProblemZip.read(content, scratch);
            } finally {
                unpacks.release();
            }
        }
        JsonNode document = Json.parseObject(new String(content, StandardCharsets.UTF_8));
        return SuiteDocument.read(document, "");
    }
}
