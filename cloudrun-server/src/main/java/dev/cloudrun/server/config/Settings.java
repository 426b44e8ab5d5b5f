package dev.cloudrun.server.config;

import dev.cloudrun.BackendKind;
import dev.cloudrun.server.db.DatabaseUrl;
import dev.cloudrun.server.http.ClientAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting of the server, each declared once with its type, default, check and doc line, in the
 * order {@code docs/server.md} lists them. The per-area records ({@link HttpSettings},
 * {@link SandboxSettings}, ...) read their values from here.
 */
public final class Settings {
    private static final int MAX = Integer.MAX_VALUE;
    private static final List<Setting<?>> ALL = new ArrayList<>();

    // Where the settings come from
    static final Setting<Optional<String>> CONFIG = declare(Setting.optionalText("CLOUDRUN_CONFIG",
            "properties file to read settings from (same names as keys); also `--config FILE`"));

    // Listening
    static final Setting<String> HOST = declare(Setting.of("CLOUDRUN_HOST", "127.0.0.1",
            "address to listen on; `0.0.0.0` to accept other machines", Settings::nonEmpty));
    static final Setting<Integer> PORT = declare(Setting.integer("CLOUDRUN_PORT", 8080, 0, 65535,
            "port (0 = any free port)"));
    static final Setting<List<String>> CORS_ORIGINS = declare(Setting.list("CLOUDRUN_CORS_ORIGINS", "",
            "extra browser origins allowed, comma-separated, `*` for all; the server's own origin and"
                    + " `http://localhost:*` are always allowed"));
    static final Setting<List<String>> ALLOWED_HOSTS = declare(Setting.list("CLOUDRUN_ALLOWED_HOSTS", "",
            "host names the server answers to (the `Host` header), comma-separated, `*` for any; IP addresses,"
                    + " `localhost` and `CLOUDRUN_HOST` are always allowed. Other names get 421 (against DNS rebinding):"
                    + " list the public name of a server reached by name"));
    static final Setting<ClientAddress> TRUSTED_PROXIES = declare(Setting.of("CLOUDRUN_TRUSTED_PROXIES", "",
            "reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` is believed: the client"
                    + " address is then the right-most hop that is not one of them. Without it the header is ignored and"
                    + " every per-address limit counts the connection's address",
            text -> {
                try {
                    return ClientAddress.trusting(Setting.splitList(text));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("must list addresses or CIDR ranges: " + e.getMessage());
                }
            }));

    // Storage
    static final Setting<Path> DATA_DIR = declare(Setting.of("CLOUDRUN_DATA_DIR", "data",
            "SQLite database and generated secret", text -> Path.of(nonEmpty(text)).toAbsolutePath().normalize()));
    static final Setting<Optional<DatabaseUrl>> DATABASE_URL = declare(databaseUrl("DATABASE_URL",
            "`jdbc:sqlite:PATH`, `sqlite:PATH`, `postgresql://USER:PASS@HOST:PORT/DB`, `jdbc:postgresql://...`"));
    static final Setting<Optional<DatabaseUrl>> CLOUDRUN_DATABASE_URL = declare(databaseUrl("CLOUDRUN_DATABASE_URL",
            "the same, used when `DATABASE_URL` is not set"));

    // Accounts and tokens
    static final Setting<Optional<String>> JWT_SECRET = declare(Setting.optionalText("CLOUDRUN_JWT_SECRET",
            "HMAC-SHA256 key for tokens (≥ 32 bytes); unset: generated in the data dir").secret().shownDefault("generated"));
    static final Setting<Boolean> PRODUCTION = declare(Setting.flag("CLOUDRUN_PRODUCTION", false,
            "refuse to start without a strong, explicit `CLOUDRUN_JWT_SECRET`"));
    static final Setting<Integer> TOKEN_TTL_HOURS = declare(Setting.integer("CLOUDRUN_TOKEN_TTL_HOURS", 168, 1, MAX,
            "token lifetime (7 days)"));
    static final Setting<Integer> SESSION_MAX_DAYS = declare(Setting.integer("CLOUDRUN_SESSION_MAX_DAYS", 30, 1, MAX,
            "absolute session lifetime: `/api/auth/refresh` renews a token until this long after the sign-in, then the"
                    + " user signs in again"));
    static final Setting<Integer> GUEST_RETENTION_DAYS = declare(Setting.integer("CLOUDRUN_GUEST_RETENTION_DAYS", 30, 1, MAX,
            "a guest with no project saved and no run started for this long is deleted, with its projects and history"
                    + " (checked hourly); accounts are never deleted"));

    // Sandbox and run limits
    static final Setting<BackendKind> BACKEND = declare(Setting.of("CLOUDRUN_BACKEND", "auto",
            "`auto`, `local` or `docker`", text -> {
                try {
                    return BackendKind.valueOf(text.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("must be auto, local or docker, was '" + text + "'");
                }
            }));
    static final Setting<Optional<String>> DOCKER_RUNTIME = declare(Setting.of("CLOUDRUN_DOCKER_RUNTIME", "",
            "the Docker runtime of every container, such as `runsc` (gVisor; steps with network use `runsc-net`), as"
                    + " registered in the daemon's `runtimes` (`scripts/enable-gvisor.sh`); unset: the daemon's default."
                    + " Set, the server uses Docker only (`CLOUDRUN_BACKEND` `auto` or `docker`)",
            text -> {
                if (text.isEmpty()) {
                    return Optional.<String>empty();
                }
                if (!text.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                    throw new IllegalArgumentException("must be a runtime name such as runsc, was '" + text + "'");
                }
                return Optional.of(text);
            }));
    static final Setting<Integer> MAX_CONCURRENT_RUNS = declare(Setting.integer("CLOUDRUN_MAX_CONCURRENT_RUNS",
            Math.max(2, Runtime.getRuntime().availableProcessors()), 1, MAX,
            "runs executing at once on the server (others queue)").shownDefault("CPUs (at least 2)"));
    static final Setting<Integer> WALL_TIME_SECONDS = declare(Setting.integer("CLOUDRUN_WALL_TIME_SECONDS", 10, 1, MAX,
            "wall-clock limit of a run that asks for none"));
    static final Setting<Integer> MAX_WALL_TIME_SECONDS = declare(Setting.integer("CLOUDRUN_MAX_WALL_TIME_SECONDS", 60, 1, MAX,
            "largest wall-clock (and CPU) limit a run may ask for (at least `CLOUDRUN_WALL_TIME_SECONDS`)"));
    static final Setting<Integer> MEMORY_MB = declare(Setting.integer("CLOUDRUN_MEMORY_MB", 256, 1, MAX,
            "memory limit of a run that asks for none"));
    static final Setting<Integer> MAX_MEMORY_MB = declare(Setting.integer("CLOUDRUN_MAX_MEMORY_MB", 1024, 1, MAX,
            "largest memory limit a run may ask for (at least `CLOUDRUN_MEMORY_MB`)"));
    static final Setting<Integer> MAX_OUTPUT_MB = declare(Setting.integer("CLOUDRUN_MAX_OUTPUT_MB", 4, 1, MAX,
            "largest output (stdout + stderr) a run may ask for"));
    static final Setting<Integer> RUN_DEADLINE_SECONDS = declare(Setting.integer("CLOUDRUN_RUN_DEADLINE_SECONDS", 180, 1, MAX,
            "any run is cancelled after this, whatever its limits"));
    static final Setting<Boolean> ALLOW_UNFENCED_NETWORK = declare(Setting.flag("CLOUDRUN_ALLOW_UNFENCED_NETWORK", false,
            "let installs (and runs with network) go ahead where the sandbox cannot be fenced off this host and private"
                    + " networks (Docker over TCP, a server that is not root); see the sandbox docs"));

    static final Setting<Integer> COMPILE_CACHE_MB = declare(Setting.integer("CLOUDRUN_COMPILE_CACHE_MB", 64, 0, MAX,
            "memory for compiled artefacts (C, C++, Java) kept by the hash of their sources, command and toolchain, so that"
                    + " a byte-identical repeat skips the compiler; 0 turns the cache off"));

    // Run history
    static final Setting<Integer> RUN_OUTPUT_KEEP_BYTES = declare(Setting.integer("CLOUDRUN_RUN_OUTPUT_KEEP_BYTES", 64 * 1024,
            0, 16 * 1024 * 1024, "output kept per run for the IDE's history (`GET /api/runs/{id}/output`), in UTF-8 bytes, at"
                    + " most 16 MiB; output past it is dropped while the run goes on; 0 keeps none").shownDefault("64 KiB"));
    static final Setting<Integer> RUN_OUTPUT_KEEP_RUNS = declare(Setting.integer("CLOUDRUN_RUN_OUTPUT_KEEP_RUNS", 50, 1, 10_000,
            "how many runs' output one project keeps (and one user's runs without a project), the newest; older"
                    + " outputs are deleted, the runs stay in the history"));
    static final Setting<Integer> RUN_OUTPUT_KEEP_RUNS_PER_USER = declare(Setting.integer("CLOUDRUN_RUN_OUTPUT_KEEP_RUNS_PER_USER",
            200, 1, 100_000, "how many runs' output one user keeps across all projects, the newest: with"
                    + " `CLOUDRUN_RUN_OUTPUT_KEEP_BYTES` it bounds what one user can store"));

    // Packages
    static final Setting<Boolean> PACKAGE_INSTALL = declare(Setting.flag("CLOUDRUN_PACKAGE_INSTALL", true,
            "whether clients may ask for missing packages to be installed (auto-install)"));
    static final Setting<String> PACKAGE_CACHE_SCOPE = declare(Setting.choice("CLOUDRUN_PACKAGE_CACHE_SCOPE", "project",
            List.of("project", "user"), "`project` (one package cache per project) or `user` (one per user)"));
    static final Setting<Optional<String>> PYPI_INDEX_URL = declare(Setting.optionalUrl("CLOUDRUN_PYPI_INDEX_URL", "",
            "Python package index to install from (http or https); unset: PyPI"));
    static final Setting<Optional<String>> NPM_REGISTRY_URL = declare(Setting.optionalUrl("CLOUDRUN_NPM_REGISTRY_URL", "",
            "npm registry to install from (http or https); unset: the public one"));

    // Per-user quotas and rate limits
    static final Setting<Integer> USER_CONCURRENT_RUNS = declare(Setting.integer("CLOUDRUN_USER_CONCURRENT_RUNS", 2, 1, MAX,
            "runs one account may have going at once"));
    static final Setting<Integer> GUEST_CONCURRENT_RUNS = declare(Setting.integer("CLOUDRUN_GUEST_CONCURRENT_RUNS", 1, 1, MAX,
            "runs one guest may have going at once"));
    static final Setting<Integer> USER_RUNS_PER_MINUTE = declare(Setting.integer("CLOUDRUN_USER_RUNS_PER_MINUTE", 30, 1, MAX,
            "runs one account may start per minute"));
    static final Setting<Integer> GUEST_RUNS_PER_MINUTE = declare(Setting.integer("CLOUDRUN_GUEST_RUNS_PER_MINUTE", 10, 1, MAX,
            "runs one guest may start per minute"));
    static final Setting<Integer> IP_REQUESTS_PER_MINUTE = declare(Setting.integer("CLOUDRUN_IP_REQUESTS_PER_MINUTE", 600, 1, MAX,
            "API requests per client address"));
    static final Setting<Integer> LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE = declare(Setting.integer(
            "CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", 10, 1, MAX,
            "login attempts one account may receive per minute from one client address (its username and e-mail count"
                    + " together)"));
    static final Setting<Integer> LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES_PER_MINUTE = declare(Setting.integer(
            "CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES_PER_MINUTE", 100, 1, MAX,
            "login attempts one account may receive per minute from all addresses together"));
    static final Setting<Integer> LOGIN_ATTEMPTS_PER_IP_PER_MINUTE = declare(Setting.integer(
            "CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", 30, 1, MAX, "login attempts one client address may make per minute"));
    static final Setting<Integer> GUESTS_PER_IP_PER_HOUR = declare(Setting.integer("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", 30, 1, MAX,
            "guest sessions per client address"));
    static final Setting<Integer> REGISTRATIONS_PER_IP_PER_HOUR = declare(Setting.integer(
            "CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", 10, 1, MAX, "accounts one client address may create per hour"));
    static final Setting<Integer> IP_CONCURRENT_RUNS = declare(Setting.integer("CLOUDRUN_IP_CONCURRENT_RUNS", 4, 1, MAX,
            "runs one client address may have going at once, all its accounts and guests together"));
    static final Setting<Integer> IP_RUNS_PER_MINUTE = declare(Setting.integer("CLOUDRUN_IP_RUNS_PER_MINUTE", 60, 1, MAX,
            "runs one client address may start per minute, all its accounts and guests together"));

    // Projects
    // A file is held in memory as one byte array, so it cannot exceed an int.
    static final Setting<Long> MAX_FILE_BYTES = declare(Setting.longInteger("CLOUDRUN_MAX_FILE_BYTES", 2L * 1024 * 1024,
            1, Integer.MAX_VALUE, "largest project file, in bytes").shownDefault("2 MiB"));
    static final Setting<Integer> MAX_PROJECT_FILES = declare(Setting.integer("CLOUDRUN_MAX_PROJECT_FILES", 200, 1, MAX,
            "files and folders per project"));
    static final Setting<Long> MAX_PROJECT_BYTES = declare(Setting.longInteger("CLOUDRUN_MAX_PROJECT_BYTES", 16L * 1024 * 1024,
            1, Long.MAX_VALUE, "total size of a project's files, in bytes").shownDefault("16 MiB"));
    static final Setting<Integer> MAX_PROJECTS_PER_USER = declare(Setting.integer("CLOUDRUN_MAX_PROJECTS_PER_USER", 100, 1, MAX,
            "projects per user"));

    // Grading API (docs/grader.md)
    static final Setting<Integer> MAX_API_KEYS_PER_USER = declare(Setting.integer("CLOUDRUN_MAX_API_KEYS_PER_USER", 20, 1, MAX,
            "live API keys per user"));
    static final Setting<Integer> MAX_PROBLEMS_PER_USER = declare(Setting.integer("CLOUDRUN_MAX_PROBLEMS_PER_USER", 1000, 1, MAX,
            "problems per user"));
    static final Setting<Long> MAX_PROBLEM_BYTES = declare(Setting.longInteger("CLOUDRUN_MAX_PROBLEM_BYTES", 64L * 1024 * 1024,
            1024, Integer.MAX_VALUE, "largest problem upload (JSON or zip), in bytes; a zip may unpack to at most 256 MiB")
            .shownDefault("64 MiB"));
    static final Setting<Integer> GRADING_WORKERS = declare(Setting.integer("CLOUDRUN_GRADING_WORKERS", 2, 0, 64,
            "submissions this node grades at once (their cases share the sandbox slots); 0: this node grades none"));
    static final Setting<Integer> GRADING_LEASE_SECONDS = declare(Setting.integer("CLOUDRUN_GRADING_LEASE_SECONDS", 60, 2, MAX,
            "a node renews its claim on a submission it grades; when a node dies, another takes the submission over"
                    + " after this long"));
    static final Setting<Optional<String>> NODE_ID = declare(Setting.optionalText("CLOUDRUN_NODE_ID",
            "this node's name in leases and reports; unset: the host name and a random suffix"));
    static final Setting<Integer> KEY_SUBMISSIONS_PER_MINUTE = declare(Setting.integer("CLOUDRUN_KEY_SUBMISSIONS_PER_MINUTE",
            1200, 1, MAX, "submissions one API key may make per minute (429 with Retry-After beyond)"));
    static final Setting<Integer> KEY_MAX_QUEUED = declare(Setting.integer("CLOUDRUN_KEY_MAX_QUEUED", 10_000, 1, MAX,
            "submissions one API key may have waiting (429 beyond)"));
    static final Setting<Integer> GRADING_WAIT_SECONDS = declare(Setting.integer("CLOUDRUN_GRADING_WAIT_SECONDS", 30, 1, 600,
            "how long `wait=true` holds the request before answering 202 with the submission still going"));
    static final Setting<Boolean> CALLBACK_ALLOW_PRIVATE = declare(Setting.flag("CLOUDRUN_CALLBACK_ALLOW_PRIVATE", false,
            "let callbacks go to this host and private networks (the sandboxes' fence rule otherwise refuses them)"));

    // Compatible APIs (docs/compat.md)
    static final Setting<List<String>> COMPAT = declare(Setting.listOf("CLOUDRUN_COMPAT", "", List.of("jobe", "piston", "judge0"),
            "the other servers' APIs to answer, comma-separated: `jobe` (Moodle CodeRunner, at `/jobe/index.php/restapi/`),"
                    + " `piston` (at `/api/v2/`), `judge0` (Judge0 CE 1.13, at `/judge0/`)"));
    static final Setting<Boolean> JUDGE0_ALLOW_NETWORK = declare(Setting.flag("CLOUDRUN_JUDGE0_ALLOW_NETWORK", false,
            "the Judge0 API accepts `enable_network: true` (otherwise 422 `enabling network is not allowed`)"));
    static final Setting<String> JUDGE0_PATH = declare(Setting.of("CLOUDRUN_JUDGE0_PATH", "/judge0",
            "where the Judge0 API lives on the main port: `/` then segments of letters, digits, `-` and `_`, no trailing"
                    + " slash (not `/`, which would shadow the IDE, nor under `/api`, `/ws` or `/jobe`)", Settings::judge0Path));
    static final Setting<Optional<Integer>> JUDGE0_PORT = declare(Setting.of("CLOUDRUN_JUDGE0_PORT", "",
            "a second port serving only the Judge0 API, at `/` (for clients that cannot take a path), with the main"
                    + " port's body limits, per-address limits and edge checks; 0 picks a free one; unset: none",
            text -> text.isEmpty() ? Optional.<Integer>empty() : Optional.of(port(text))));
    static final Setting<Integer> JUDGE0_LEASE_SECONDS = declare(Setting.integer("CLOUDRUN_JUDGE0_LEASE_SECONDS", 60, 2, MAX,
            "a node renews its claim on a Judge0 submission it runs; when a node dies, another runs the submission"
                    + " after this long"));
    static final Setting<Boolean> JOBE_REQUIRE_KEY = declare(Setting.flag("CLOUDRUN_JOBE_REQUIRE_KEY", true,
            "the Jobe API wants a CloudRun API key with scope `run` in `X-API-KEY`; `false` for an endpoint only the Moodle"
                    + " host can reach (per-address limits still apply)"));

    // WebSocket
    static final Setting<Integer> WS_MAX_MESSAGE_BYTES = declare(Setting.integer("CLOUDRUN_WS_MAX_MESSAGE_BYTES", 4 * 1024 * 1024,
            1, Integer.MAX_VALUE / 4, "largest WebSocket message from a client, in bytes").shownDefault("4 MiB"));
    static final Setting<Integer> WS_IDLE_TIMEOUT_SECONDS = declare(Setting.integer("CLOUDRUN_WS_IDLE_TIMEOUT_SECONDS", 120, 1, MAX,
            "how long a silent WebSocket stays open"));
    static final Setting<Integer> WS_PING_SECONDS = declare(Setting.integer("CLOUDRUN_WS_PING_SECONDS", 25, 1, MAX,
            "how often the server pings each WebSocket"));
    static final Setting<Integer> WS_AUTH_TIMEOUT_SECONDS = declare(Setting.integer("CLOUDRUN_WS_AUTH_TIMEOUT_SECONDS", 10, 1, MAX,
            "a WebSocket that has not authenticated by then is closed with 4401"));
    static final Setting<Integer> WS_UNAUTHENTICATED_PER_IP = declare(Setting.integer("CLOUDRUN_WS_UNAUTHENTICATED_PER_IP", 10,
            1, MAX, "WebSockets one client address may have open before they authenticate (more are closed with 4429)"));

    // Terminal workspaces (docs/protocol.md, "Terminals")
    static final Setting<Integer> WORKSPACE_IDLE_MINUTES = declare(Setting.integer("CLOUDRUN_WORKSPACE_IDLE_MINUTES", 15, 1, MAX,
            "a project's workspace with no terminal open is closed after this long; its files stay in the project"));
    static final Setting<Integer> WORKSPACE_MAX_LIFETIME_MINUTES = declare(Setting.integer(
            "CLOUDRUN_WORKSPACE_MAX_LIFETIME_MINUTES", 480, 1, MAX, "a workspace is closed after this long in any case"));
    static final Setting<Integer> MAX_WORKSPACES_PER_USER = declare(Setting.integer("CLOUDRUN_MAX_WORKSPACES_PER_USER", 2, 1, MAX,
            "workspaces (projects with terminals) one user may have open at once"));
    static final Setting<Integer> MAX_TERMINALS_PER_USER = declare(Setting.integer("CLOUDRUN_MAX_TERMINALS_PER_USER", 6, 1, MAX,
            "terminals one user may have open at once, in all their workspaces, counting those waiting to be re-attached"));
    static final Setting<Long> WORKSPACE_MEMORY_BYTES = declare(Setting.longInteger("CLOUDRUN_WORKSPACE_MEMORY_BYTES",
            512L * 1024 * 1024, 16L * 1024 * 1024, Long.MAX_VALUE, "memory of all processes of one workspace together, in bytes")
            .shownDefault("512 MiB"));
    static final Setting<Integer> WORKSPACE_MAX_PROCESSES = declare(Setting.integer("CLOUDRUN_WORKSPACE_MAX_PROCESSES", 128, 8,
            MAX, "processes and threads of one workspace at once"));
    static final Setting<Long> WORKSPACE_DISK_BYTES = declare(Setting.longInteger("CLOUDRUN_WORKSPACE_DISK_BYTES",
            256L * 1024 * 1024, 1024 * 1024, Long.MAX_VALUE, "size cap of one workspace's file tree, in bytes")
            .shownDefault("256 MiB"));
    static final Setting<Boolean> WORKSPACE_NETWORK = declare(Setting.flag("CLOUDRUN_WORKSPACE_NETWORK", false,
            "shells and programs in workspaces may reach the network, behind the same fence as runs"));
    static final Setting<Integer> TERMINAL_REATTACH_SECONDS = declare(Setting.integer("CLOUDRUN_TERMINAL_REATTACH_SECONDS", 60, 1,
            MAX, "a terminal whose socket dropped waits this long for the client to re-attach, then is hung up"));

    // MCP for agents (docs/agents.md)
    static final Setting<Boolean> MCP_ENABLED = declare(Setting.flag("CLOUDRUN_MCP_ENABLED", true,
            "serve the MCP tools over streamable HTTP at `/mcp`, for API keys with scope `run`; `false`: not served"));
    static final Setting<Integer> MCP_SESSIONS_PER_USER = declare(Setting.integer("CLOUDRUN_MCP_SESSIONS_PER_USER", 4, 1, MAX,
            "MCP sessions (`create_session`) one user may have open at once, all their keys together"));
    static final Setting<Integer> MCP_MAX_SESSIONS = declare(Setting.integer("CLOUDRUN_MCP_MAX_SESSIONS", 32, 1, MAX,
            "MCP sessions open on this server at once"));
    static final Setting<Integer> MCP_SESSION_IDLE_MINUTES = declare(Setting.integer("CLOUDRUN_MCP_SESSION_IDLE_MINUTES", 10, 1,
            MAX, "an MCP session nobody used for this long is closed, its files removed"));
    static final Setting<Boolean> MCP_NETWORK_ALLOWED = declare(Setting.flag("CLOUDRUN_MCP_NETWORK_ALLOWED", false,
            "agents may ask for network (`network: true`), behind the same fence as runs"));
    static final Setting<Integer> MCP_MAX_SOURCE_BYTES = declare(Setting.integer("CLOUDRUN_MCP_MAX_SOURCE_BYTES", 256 * 1024, 1,
            MAX, "largest program source an MCP call may carry, in bytes").shownDefault("256 KiB"));
    static final Setting<Integer> MCP_MAX_FILE_BYTES = declare(Setting.integer("CLOUDRUN_MCP_MAX_FILE_BYTES", 1024 * 1024, 1,
            MAX, "largest file an MCP call may carry, in bytes; with the source cap it bounds the request body (413"
                    + " `payload_too_large`)").shownDefault("1 MiB"));

    // AI assistant (docs/ai.md)
    static final Setting<Boolean> AI_ENABLED = declare(Setting.flag("CLOUDRUN_AI_ENABLED", true,
            "the operator's off switch: `false` answers 503 `ai_disabled`"));
    static final Setting<List<String>> AI_PROVIDER_ORDER = declare(Setting.listOf("CLOUDRUN_AI_PROVIDER_ORDER",
            "groq,gemini,generic", List.of("groq", "gemini", "generic"),
            "the order of the provider chain; providers left out are not used"));
    static final Setting<Integer> AI_REQUESTS_PER_HOUR = declare(Setting.integer("CLOUDRUN_AI_REQUESTS_PER_HOUR", 60, 1, MAX,
            "AI requests one account may make per hour (429 `ai_quota_exceeded` with `Retry-After`)"));
    static final Setting<Integer> AI_GUEST_REQUESTS_PER_HOUR = declare(Setting.integer("CLOUDRUN_AI_GUEST_REQUESTS_PER_HOUR",
            20, 1, MAX, "AI requests one guest may make per hour"));
    static final Setting<Integer> AI_MAX_CONCURRENT_REQUESTS = declare(Setting.integer("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS",
            32, 1, MAX, "AI requests served at once by the server (429 `ai_busy`); one user may have 2 in progress"
                    + " (429 `ai_concurrent_limit`)"));
    static final Setting<Integer> AI_TIMEOUT_SECONDS = declare(Setting.integer("CLOUDRUN_AI_TIMEOUT_SECONDS", 90, 1, MAX,
            "longest one provider call may take, answer included"));
    static final Setting<Integer> AI_FIRST_BYTE_SECONDS = declare(Setting.integer("CLOUDRUN_AI_FIRST_BYTE_SECONDS", 20, 1, MAX,
            "longest a provider may stay silent: before it answers, and between two pieces of a streamed answer (at most"
                    + " `CLOUDRUN_AI_TIMEOUT_SECONDS`; the connect timeout is the smaller of this and 10 s); keep it under"
                    + " Jetty's 30 s idle timeout"));
    static final Setting<Integer> AI_COOLDOWN_SECONDS = declare(Setting.integer("CLOUDRUN_AI_COOLDOWN_SECONDS", 60, 1, MAX,
            "how long a provider that failed 3 times in a row is skipped"));
    static final Setting<Optional<String>> GROQ_API_KEY = declare(Setting.optionalText("GROQ_API_KEY",
            "Groq's API key; set it to use Groq").secret());
    static final Setting<Optional<String>> GROQ_BASE_URL = declare(Setting.optionalUrl("GROQ_BASE_URL",
            "https://api.groq.com/openai/v1", "Groq's OpenAI-compatible endpoint"));
    static final Setting<Optional<String>> GROQ_MODEL = declare(Setting.optionalText("GROQ_MODEL", "llama-3.3-70b-versatile",
            "the Groq model"));
    static final Setting<Optional<String>> GEMINI_API_KEY = declare(Setting.optionalText("GEMINI_API_KEY",
            "Google Gemini's API key (sent in the `x-goog-api-key` header, never the URL); set it to use Gemini").secret());
    static final Setting<Optional<String>> GEMINI_BASE_URL = declare(Setting.optionalUrl("GEMINI_BASE_URL",
            "https://generativelanguage.googleapis.com", "Gemini's endpoint (`generateContent`)"));
    static final Setting<Optional<String>> GEMINI_MODEL = declare(Setting.optionalText("GEMINI_MODEL", "gemini-2.0-flash",
            "the Gemini model"));
    static final Setting<Optional<String>> AI_BASE_URL = declare(Setting.optionalUrl("CLOUDRUN_AI_BASE_URL", "",
            "any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio); set it to use the `generic` provider"));
    static final Setting<Optional<String>> AI_API_KEY = declare(Setting.optionalText("CLOUDRUN_AI_API_KEY",
            "the generic provider's API key (optional)").secret());
    static final Setting<Optional<String>> AI_MODEL = declare(Setting.optionalText("CLOUDRUN_AI_MODEL",
            "the generic provider's model (required with `CLOUDRUN_AI_BASE_URL`)"));

    private Settings() { }

    /** @return every declared setting, in the order of the docs */
    public static List<Setting<?>> all() {
        return Collections.unmodifiableList(ALL);
    }

    /**
     * @param name a setting's name
     * @return its declaration, if there is one
     */
    public static Optional<Setting<?>> named(String name) {
        return ALL.stream().filter(setting -> setting.name().equals(name)).findFirst();
    }

    private static <T> Setting<T> declare(Setting<T> setting) {
        ALL.add(setting);
        return setting;
    }

    private static final java.util.regex.Pattern JUDGE0_PATH_SHAPE = java.util.regex.Pattern.compile("(/[A-Za-z0-9_-]+)+");

    private static String judge0Path(String text) {
        if (text.equals("/")) {
            throw new IllegalArgumentException("must not be '/', which would shadow the IDE on the main port"
                    + " (use CLOUDRUN_JUDGE0_PORT for a port that serves Judge0 at '/')");
        }
        if (!JUDGE0_PATH_SHAPE.matcher(text).matches()) {
            throw new IllegalArgumentException("must start with '/', have no trailing slash and hold only segments of"
                    + " letters, digits, '-' and '_', was '" + text + "'");
        }
        String first = text.substring(1).split("/")[0];
        if (List.of("api", "ws", "jobe").contains(first.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("must not be under /" + first + ", which CloudRun's own routes use, was '"
                    + text + "'");
        }
        return text;
    }

    private static int port(String text) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number, was '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("must be between 0 and 65535, was " + text);
        }
        return port;
    }

    private static String nonEmpty(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return text;
    }

    private static Setting<Optional<DatabaseUrl>> databaseUrl(String name, String description) {
        return Setting.of(name, "", description, text -> {
            if (text.isEmpty()) {
                return Optional.<DatabaseUrl>empty();
            }
            try {
                return Optional.of(DatabaseUrl.parse(text));
            } catch (IllegalArgumentException e) {
                // URI's message repeats the URL, password included.
                throw new IllegalArgumentException("is not a valid URL");
            } catch (ServerConfigException e) {
                throw new IllegalArgumentException(e.getMessage().replaceFirst("^DATABASE_URL ", ""));
            }
        }).passwordInUrl().shownDefault("SQLite in the data dir");
    }
}
