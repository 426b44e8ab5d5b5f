package dev.cloudrun.server.config;

import dev.cloudrun.BackendKind;
import dev.cloudrun.server.http.ClientAddress;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Everything the server can be told, read from (lowest to highest precedence) built-in defaults, an
 * optional properties file ({@code CLOUDRUN_CONFIG} or {@code --config}), environment variables and
 * command-line flags. Every setting has one name, the environment variable's, which is also the key
 * in the file. Immutable.
 */
public final class ServerConfig {
    private static final long MIB = 1024L * 1024L;

    /** Setting names with their defaults; the README and docs list the same names. */
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("CLOUDRUN_HOST", "127.0.0.1"),
            Map.entry("CLOUDRUN_PORT", "8080"),
            Map.entry("CLOUDRUN_DATA_DIR", "data"),
            Map.entry("CLOUDRUN_PRODUCTION", "false"),
            Map.entry("CLOUDRUN_BACKEND", "auto"),
            Map.entry("CLOUDRUN_CORS_ORIGINS", ""),
            Map.entry("CLOUDRUN_TRUSTED_PROXIES", ""),
            Map.entry("CLOUDRUN_MAX_CONCURRENT_RUNS", String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors()))),
            Map.entry("CLOUDRUN_WALL_TIME_SECONDS", "10"),
            Map.entry("CLOUDRUN_MAX_WALL_TIME_SECONDS", "60"),
            Map.entry("CLOUDRUN_MEMORY_MB", "256"),
            Map.entry("CLOUDRUN_MAX_MEMORY_MB", "1024"),
            Map.entry("CLOUDRUN_MAX_OUTPUT_MB", "4"),
            Map.entry("CLOUDRUN_USER_CONCURRENT_RUNS", "2"),
            Map.entry("CLOUDRUN_USER_RUNS_PER_MINUTE", "30"),
            Map.entry("CLOUDRUN_GUEST_CONCURRENT_RUNS", "1"),
            Map.entry("CLOUDRUN_GUEST_RUNS_PER_MINUTE", "10"),
            Map.entry("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "600"),
            Map.entry("CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", "10"),
            Map.entry("CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "30"),
            Map.entry("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "30"),
            Map.entry("CLOUDRUN_MAX_FILE_BYTES", String.valueOf(2 * MIB)),
            Map.entry("CLOUDRUN_MAX_PROJECT_FILES", "200"),
            Map.entry("CLOUDRUN_MAX_PROJECT_BYTES", String.valueOf(16 * MIB)),
            Map.entry("CLOUDRUN_MAX_PROJECTS_PER_USER", "100"),
            Map.entry("CLOUDRUN_WS_MAX_MESSAGE_BYTES", String.valueOf(4 * MIB)),
            Map.entry("CLOUDRUN_WS_IDLE_TIMEOUT_SECONDS", "120"),
            Map.entry("CLOUDRUN_WS_PING_SECONDS", "25"),
            Map.entry("CLOUDRUN_RUN_DEADLINE_SECONDS", "180"),
            Map.entry("CLOUDRUN_TOKEN_TTL_HOURS", "168"),
            Map.entry("CLOUDRUN_GUEST_RETENTION_DAYS", "30"),
            Map.entry("CLOUDRUN_PACKAGE_INSTALL", "true"),
            Map.entry("CLOUDRUN_ALLOW_UNFENCED_NETWORK", "false"),
            Map.entry("CLOUDRUN_PACKAGE_CACHE_SCOPE", "project"),
            Map.entry("CLOUDRUN_PYPI_INDEX_URL", ""),
            Map.entry("CLOUDRUN_NPM_REGISTRY_URL", ""),
            Map.entry("CLOUDRUN_AI_ENABLED", "true"),
            Map.entry("CLOUDRUN_AI_PROVIDER_ORDER", "groq,gemini,generic"),
            Map.entry("CLOUDRUN_AI_REQUESTS_PER_HOUR", "60"),
            Map.entry("CLOUDRUN_AI_GUEST_REQUESTS_PER_HOUR", "20"),
            Map.entry("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS", "32"),
            Map.entry("CLOUDRUN_AI_TIMEOUT_SECONDS", "90"),
            Map.entry("CLOUDRUN_AI_FIRST_BYTE_SECONDS", "20"),
            Map.entry("CLOUDRUN_AI_COOLDOWN_SECONDS", "60"),
            Map.entry("CLOUDRUN_AI_BASE_URL", ""),
            Map.entry("CLOUDRUN_AI_API_KEY", ""),
            Map.entry("CLOUDRUN_AI_MODEL", ""),
            Map.entry("GROQ_API_KEY", ""),
            Map.entry("GROQ_BASE_URL", "https://api.groq.com/openai/v1"),
            Map.entry("GROQ_MODEL", "llama-3.3-70b-versatile"),
            Map.entry("GEMINI_API_KEY", ""),
            Map.entry("GEMINI_BASE_URL", "https://generativelanguage.googleapis.com"),
            Map.entry("GEMINI_MODEL", "gemini-2.0-flash"));

    /** Settings whose values are secrets: never shown by {@link #toString()}. */
    private static final List<String> SECRET_SETTINGS = List.of("CLOUDRUN_JWT_SECRET", "GROQ_API_KEY", "GEMINI_API_KEY",
            "CLOUDRUN_AI_API_KEY");

    /** Secrets everybody knows; refused in production. */
    private static final List<String> WELL_KNOWN_SECRETS = List.of("secret", "changeme", "change-me", "password",
            "cloudrun", "jwt-secret", "default", "development", "test");

    private final Map<String, String> values;

    private ServerConfig(Map<String, String> values) {
        this.values = Map.copyOf(values);
        validate();
    }

    /**
     * Reads the configuration the way {@code ./cloudrun serve} does: the file named by
     * {@code --config} or {@code CLOUDRUN_CONFIG}, then the environment, then the flags.
     *
     * @param args command-line flags: {@code --port N}, {@code --host H}, {@code --data-dir D},
     *     {@code --database-url U}, {@code --backend B}, {@code --config FILE}
     * @param environment the environment variables
     * @return the configuration
     * @throws ServerConfigException on an unknown flag or an invalid value
     */
    public static ServerConfig load(String[] args, Map<String, String> environment) {
        Map<String, String> flags = parseFlags(args);
        Map<String, String> merged = new HashMap<>();
        String file = flags.getOrDefault("CLOUDRUN_CONFIG", environment.get("CLOUDRUN_CONFIG"));
        if (file != null && !file.isBlank()) {
            merged.putAll(readFile(Path.of(file)));
        }
        environment.forEach((name, value) -> {
            if (DEFAULTS.containsKey(name) || name.equals("DATABASE_URL") || name.equals("CLOUDRUN_DATABASE_URL")
                    || name.equals("CLOUDRUN_JWT_SECRET")) {
                merged.put(name, value);
            }
        });
        merged.putAll(flags);
        return of(merged);
    }

    /**
     * A configuration from explicit settings over the defaults (for tests and embedding).
     *
     * @param settings setting name to value, for example {@code CLOUDRUN_PORT=0}
     * @return the configuration
     * @throws ServerConfigException on an unknown setting or an invalid value
     */
    public static ServerConfig of(Map<String, String> settings) {
        Map<String, String> merged = new HashMap<>(DEFAULTS);
        settings.forEach((name, value) -> {
            if (!DEFAULTS.containsKey(name) && !List.of("DATABASE_URL", "CLOUDRUN_DATABASE_URL", "CLOUDRUN_JWT_SECRET",
                    "CLOUDRUN_CONFIG").contains(name)) {
                throw new ServerConfigException("unknown setting " + name);
            }
            if (value != null) {
                merged.put(name, value.trim());
            }
        });
        return new ServerConfig(merged);
    }

    private static Map<String, String> parseFlags(String[] args) {
        Map<String, String> names = Map.of("--port", "CLOUDRUN_PORT", "--host", "CLOUDRUN_HOST",
                "--data-dir", "CLOUDRUN_DATA_DIR", "--database-url", "DATABASE_URL", "--backend", "CLOUDRUN_BACKEND",
                "--config", "CLOUDRUN_CONFIG");
        Map<String, String> flags = new HashMap<>();
        for (int index = 0; index < args.length; index++) {
            String arg = args[index];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String setting = names.get(name);
            if (setting == null) {
                throw new ServerConfigException("unknown option " + arg + " (known: " + String.join(", ", names.keySet()) + ")");
            }
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (index + 1 < args.length) {
                value = args[++index];
            } else {
                throw new ServerConfigException(arg + " needs a value");
            }
            flags.put(setting, value);
        }
        return flags;
    }

    private static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ServerConfigException("cannot read the config file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new HashMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name)));
        return values;
    }

    private void validate() {
        port();
        backend();
        clientAddress();
        for (String name : DEFAULTS.keySet()) {
            if (name.endsWith("_SECONDS") || name.endsWith("_MB") || name.endsWith("_BYTES") || name.endsWith("_RUNS")
                    || name.endsWith("_MINUTE") || name.endsWith("_HOUR") || name.endsWith("_FILES")
                    || name.endsWith("_USER") || name.endsWith("_HOURS") || name.endsWith("_DAYS")) {
                positive(name);
            }
        }
        if (production()) {
            String secret = jwtSecret().orElseThrow(() -> new ServerConfigException(
                    "CLOUDRUN_PRODUCTION is set but CLOUDRUN_JWT_SECRET is not: set a random secret of at least 32 bytes"
                            + " (for example: openssl rand -base64 48)"));
            if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new ServerConfigException("CLOUDRUN_JWT_SECRET is shorter than 32 bytes; production needs a strong random secret");
            }
            String lower = secret.toLowerCase(Locale.ROOT);
            if (WELL_KNOWN_SECRETS.stream().anyMatch(lower::contains) || secret.chars().distinct().count() < 8) {
                throw new ServerConfigException("CLOUDRUN_JWT_SECRET looks like a default or guessable value; use a random one");
            }
        }
    }

    private long positive(String name) {
        long value = number(name);
        if (value < 1) {
            throw new ServerConfigException(name + " must be at least 1, was " + value);
        }
        return value;
    }

    private long number(String name) {
        String text = values.get(name);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ServerConfigException(name + " must be a whole number, was '" + text + "'");
        }
    }

    private String text(String name) {
        return values.getOrDefault(name, "");
    }

    /** @return the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface) */
    public String host() {
        return text("CLOUDRUN_HOST");
    }

    /** @return the port to listen on (0 picks a free one) */
    public int port() {
        long port = number("CLOUDRUN_PORT");
        if (port < 0 || port > 65535) {
            throw new ServerConfigException("CLOUDRUN_PORT must be between 0 and 65535, was " + port);
        }
        return (int) port;
    }

    /** @return the directory for the SQLite database and the generated JWT secret */
    public Path dataDir() {
        return Path.of(text("CLOUDRUN_DATA_DIR")).toAbsolutePath().normalize();
    }

    /** @return the database URL; SQLite in the data directory unless {@code DATABASE_URL} says otherwise */
    public String databaseUrl() {
        String url = values.getOrDefault("DATABASE_URL", values.get("CLOUDRUN_DATABASE_URL"));
        if (url == null || url.isBlank()) {
            return "jdbc:sqlite:" + dataDir().resolve("cloudrun.db");
        }
        return url;
    }

    /** @return the configured JWT secret; when empty the server generates one in the data directory */
    public Optional<String> jwtSecret() {
        String secret = values.get("CLOUDRUN_JWT_SECRET");
        return secret == null || secret.isBlank() ? Optional.empty() : Optional.of(secret);
    }

    /** @return whether production safety checks are on */
    public boolean production() {
        return Boolean.parseBoolean(text("CLOUDRUN_PRODUCTION"));
    }

    /** @return which sandbox backend to use */
    public BackendKind backend() {
        try {
            return BackendKind.valueOf(text("CLOUDRUN_BACKEND").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ServerConfigException("CLOUDRUN_BACKEND must be auto, local or docker, was '" + text("CLOUDRUN_BACKEND") + "'");
        }
    }

    /** @return whether clients may ask for missing packages to be installed (auto-install) */
    public boolean packageInstall() {
        return Boolean.parseBoolean(text("CLOUDRUN_PACKAGE_INSTALL"));
    }

    /**
     * @return whether installs (and runs with network) may go ahead where the sandbox cannot be
     *     fenced off this host's services and private networks
     */
    public boolean allowUnfencedNetwork() {
        return Boolean.parseBoolean(text("CLOUDRUN_ALLOW_UNFENCED_NETWORK"));
    }

    /** @return {@code project} (one package cache per project) or {@code user} (one per user) */
    public String packageCacheScope() {
        String scope = text("CLOUDRUN_PACKAGE_CACHE_SCOPE").toLowerCase(Locale.ROOT);
        if (!scope.equals("project") && !scope.equals("user")) {
            throw new ServerConfigException("CLOUDRUN_PACKAGE_CACHE_SCOPE must be project or user, was '" + scope + "'");
        }
        return scope;
    }

    /** @return the Python package index to install from, or empty for PyPI */
    public Optional<String> pypiIndexUrl() {
        return Optional.of(text("CLOUDRUN_PYPI_INDEX_URL")).filter(url -> !url.isBlank());
    }

    /** @return the npm registry to install from, or empty for the public one */
    public Optional<String> npmRegistryUrl() {
        return Optional.of(text("CLOUDRUN_NPM_REGISTRY_URL")).filter(url -> !url.isBlank());
    }

    /** @return extra allowed browser origins ({@code *} for all) */
    public List<String> corsOrigins() {
        return Arrays.stream(text("CLOUDRUN_CORS_ORIGINS").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * @return how to tell a client's address: behind the reverse proxies of
     *     {@code CLOUDRUN_TRUSTED_PROXIES} (addresses or CIDR ranges), from {@code X-Forwarded-For}
     * @throws ServerConfigException if an entry is not an address or range
     */
    public ClientAddress clientAddress() {
        List<String> proxies = Arrays.stream(text("CLOUDRUN_TRUSTED_PROXIES").split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
        try {
            return ClientAddress.trusting(proxies);
        } catch (IllegalArgumentException e) {
            throw new ServerConfigException("CLOUDRUN_TRUSTED_PROXIES: " + e.getMessage());
        }
    }

    /** @return how many runs may execute at once on this server */
    public int maxConcurrentRuns() {
        return (int) positive("CLOUDRUN_MAX_CONCURRENT_RUNS");
    }

    /** @return the wall-clock limit of a run that asks for none */
    public Duration defaultWallTime() {
        return Duration.ofSeconds(positive("CLOUDRUN_WALL_TIME_SECONDS"));
    }

    /** @return the largest wall-clock limit a run may ask for */
    public Duration maxWallTime() {
        return Duration.ofSeconds(Math.max(positive("CLOUDRUN_MAX_WALL_TIME_SECONDS"), positive("CLOUDRUN_WALL_TIME_SECONDS")));
    }

    /** @return the memory limit of a run that asks for none, in bytes */
    public long defaultMemoryBytes() {
        return positive("CLOUDRUN_MEMORY_MB") * MIB;
    }

    /** @return the largest memory limit a run may ask for, in bytes */
    public long maxMemoryBytes() {
        return Math.max(positive("CLOUDRUN_MAX_MEMORY_MB"), positive("CLOUDRUN_MEMORY_MB")) * MIB;
    }

    /** @return the largest output (stdout + stderr) a run may produce, in bytes */
    public long maxOutputBytes() {
        return positive("CLOUDRUN_MAX_OUTPUT_MB") * MIB;
    }

    /**
     * @param guest whether the user is a guest
     * @return how many runs one user may have going at once
     */
    public int concurrentRunsPerUser(boolean guest) {
        return (int) positive(guest ? "CLOUDRUN_GUEST_CONCURRENT_RUNS" : "CLOUDRUN_USER_CONCURRENT_RUNS");
    }

    /**
     * @param guest whether the user is a guest
     * @return how many runs one user may start per minute
     */
    public int runsPerMinute(boolean guest) {
        return (int) positive(guest ? "CLOUDRUN_GUEST_RUNS_PER_MINUTE" : "CLOUDRUN_USER_RUNS_PER_MINUTE");
    }

    /** @return how many API requests one IP address may make per minute */
    public int requestsPerMinutePerIp() {
        return (int) positive("CLOUDRUN_IP_REQUESTS_PER_MINUTE");
    }

    /** @return how many login attempts one account may receive per minute */
    public int loginAttemptsPerAccountPerMinute() {
        return (int) positive("CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE");
    }

    /** @return how many login attempts one IP address may make per minute */
    public int loginAttemptsPerIpPerMinute() {
        return (int) positive("CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE");
    }

    /** @return how many guest sessions one IP address may open per hour */
    public int guestsPerIpPerHour() {
        return (int) positive("CLOUDRUN_GUESTS_PER_IP_PER_HOUR");
    }

    /** @return the largest file a project may hold, in bytes */
    public long maxFileBytes() {
        return positive("CLOUDRUN_MAX_FILE_BYTES");
    }

    /** @return how many files and folders a project may hold */
    public int maxProjectFiles() {
        return (int) positive("CLOUDRUN_MAX_PROJECT_FILES");
    }

    /** @return the total size of a project's files, in bytes */
    public long maxProjectBytes() {
        return positive("CLOUDRUN_MAX_PROJECT_BYTES");
    }

    /** @return how many projects one user may own */
    public int maxProjectsPerUser() {
        return (int) positive("CLOUDRUN_MAX_PROJECTS_PER_USER");
    }

    /** @return the largest WebSocket message a client may send, in bytes */
    public int wsMaxMessageBytes() {
        return (int) Math.min(Integer.MAX_VALUE / 4, positive("CLOUDRUN_WS_MAX_MESSAGE_BYTES"));
    }

    /** @return how long a silent WebSocket stays open */
    public Duration wsIdleTimeout() {
        return Duration.ofSeconds(positive("CLOUDRUN_WS_IDLE_TIMEOUT_SECONDS"));
    }

    /** @return how often the server pings each WebSocket */
    public Duration wsPingInterval() {
        return Duration.ofSeconds(positive("CLOUDRUN_WS_PING_SECONDS"));
    }

    /** @return the server-side deadline after which any run is cancelled, whatever its limits */
    public Duration runDeadline() {
        return Duration.ofSeconds(positive("CLOUDRUN_RUN_DEADLINE_SECONDS"));
    }

    /** @return how long a guest with no saved project and no run is kept (default 30 days) */
    public Duration guestRetention() {
        return Duration.ofDays(positive("CLOUDRUN_GUEST_RETENTION_DAYS"));
    }

    /** @return how long an issued token is valid (default 7 days) */
    public Duration tokenTtl() {
        return Duration.ofHours(positive("CLOUDRUN_TOKEN_TTL_HOURS"));
    }

    /** @return whether the AI assistant is on (the operator's off switch is {@code CLOUDRUN_AI_ENABLED=false}) */
    public boolean aiEnabled() {
        return Boolean.parseBoolean(text("CLOUDRUN_AI_ENABLED"));
    }

    /** @return the AI providers to try, in order ({@code groq}, {@code gemini}, {@code generic}) */
    public List<String> aiProviderOrder() {
        return Arrays.stream(text("CLOUDRUN_AI_PROVIDER_ORDER").split(",")).map(String::trim)
                .map(name -> name.toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * @param guest whether the user is a guest
     * @return how many AI requests one user may make per hour
     */
    public int aiRequestsPerHour(boolean guest) {
        return (int) positive(guest ? "CLOUDRUN_AI_GUEST_REQUESTS_PER_HOUR" : "CLOUDRUN_AI_REQUESTS_PER_HOUR");
    }

    /** @return how many AI requests the whole server serves at once (each holds a connection while it streams) */
    public int aiMaxConcurrentRequests() {
        return (int) positive("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS");
    }

    /** @return the longest one call to an AI provider may take, answer included */
    public Duration aiTimeout() {
        return Duration.ofSeconds(positive("CLOUDRUN_AI_TIMEOUT_SECONDS"));
    }

    /** @return how long a provider may stay silent (before its first byte, or between two chunks) */
    public Duration aiFirstByteTimeout() {
        return Duration.ofSeconds(Math.min(positive("CLOUDRUN_AI_FIRST_BYTE_SECONDS"), positive("CLOUDRUN_AI_TIMEOUT_SECONDS")));
    }

    /** @return how long a provider that failed several times in a row is skipped */
    public Duration aiCooldown() {
        return Duration.ofSeconds(positive("CLOUDRUN_AI_COOLDOWN_SECONDS"));
    }

    /**
     * One AI provider setting, such as {@code GROQ_API_KEY} or {@code CLOUDRUN_AI_BASE_URL}.
     *
     * @param name the setting's name (one of the {@code GROQ_*}, {@code GEMINI_*} or {@code CLOUDRUN_AI_*} settings)
     * @return the value, empty when unset or blank
     */
    public Optional<String> aiSetting(String name) {
        if (!DEFAULTS.containsKey(name) || !(name.startsWith("GROQ_") || name.startsWith("GEMINI_") || name.startsWith("CLOUDRUN_AI_"))) {
            throw new IllegalArgumentException("not an AI setting: " + name);
        }
        return Optional.of(text(name)).filter(value -> !value.isBlank());
    }

    @Override
    public String toString() {
        Map<String, String> shown = new HashMap<>(values);
        SECRET_SETTINGS.forEach(secret -> shown.computeIfPresent(secret, (name, value) -> value.isEmpty() ? value : "***"));
        shown.computeIfPresent("DATABASE_URL", (name, value) -> value.replaceAll(":[^:@/]*@", ":***@"));
        return "ServerConfig" + new java.util.TreeMap<>(shown);
    }
}
