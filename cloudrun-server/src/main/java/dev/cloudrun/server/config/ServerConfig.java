package dev.cloudrun.server.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Everything the server can be told, read from (lowest to highest precedence) built-in defaults, an
 * optional properties file ({@code CLOUDRUN_CONFIG} or {@code --config}), environment variables and
 * command-line flags. Every setting has one name, the environment variable's, which is also the key
 * in the file; {@link Settings} declares them. The values are parsed and checked once, here, into a
 * tree of small immutable records, one per area ({@link #http()}, {@link #sandbox()}, {@link #ai()}, ...).
 */
public final class ServerConfig {
    private static final Map<String, String> FLAGS = Map.of("--port", "CLOUDRUN_PORT", "--host", "CLOUDRUN_HOST",
            "--data-dir", "CLOUDRUN_DATA_DIR", "--database-url", "DATABASE_URL", "--backend", "CLOUDRUN_BACKEND",
            "--config", "CLOUDRUN_CONFIG");

    private final Path dataDir;
    private final HttpSettings http;
    private final WebSocketSettings webSocket;
    private final DatabaseSettings database;
    private final AuthSettings auth;
    private final RateLimitSettings rateLimits;
    private final RunQuotaSettings runQuota;
    private final RunHistorySettings runHistory;
    private final SandboxSettings sandbox;
    private final PackageSettings packages;
    private final ProjectSettings projects;
    private final AiSettings ai;
    private final GradingSettings grading;
    private final CompatSettings compat;
    private final WorkspaceSettings workspaces;
    private final McpSettings mcp;
    private final String shown;

    private ServerConfig(Map<String, String> texts) {
        SettingValues values = new SettingValues(texts);
        this.dataDir = values.get(Settings.DATA_DIR);
        this.http = HttpSettings.from(values);
        this.webSocket = WebSocketSettings.from(values);
        this.database = DatabaseSettings.from(values, dataDir);
        this.auth = AuthSettings.from(values);
        this.rateLimits = RateLimitSettings.from(values);
        this.runQuota = RunQuotaSettings.from(values);
        this.runHistory = RunHistorySettings.from(values);
        this.sandbox = SandboxSettings.from(values);
        this.packages = PackageSettings.from(values);
        this.projects = ProjectSettings.from(values);
        this.ai = AiSettings.from(values);
        this.grading = GradingSettings.from(values);
        this.compat = CompatSettings.from(values);
        this.workspaces = WorkspaceSettings.from(values);
        this.mcp = McpSettings.from(values);
        Map<String, String> shownValues = new TreeMap<>();
        for (Setting<?> setting : Settings.all()) {
            shownValues.put(setting.name(), setting.display(texts.getOrDefault(setting.name(), setting.defaultText())));
        }
        this.shown = "ServerConfig" + shownValues;
    }

    /**
     * Reads the configuration the way {@code ./cloudrun serve} does: the file named by
     * {@code --config} or {@code CLOUDRUN_CONFIG}, then the environment, then the flags. Environment
     * variables that name no setting are ignored; in the file they are refused.
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
        String file = flags.getOrDefault(Settings.CONFIG.name(), environment.get(Settings.CONFIG.name()));
        if (file != null && !file.isBlank()) {
            merged.putAll(readFile(Path.of(file)));
        }
        environment.forEach((name, value) -> {
            if (Settings.named(name).isPresent()) {
                merged.put(name, value);
            }
        });
        merged.putAll(flags);
        return of(merged);
    }

    /**
     * A configuration from explicit settings over the defaults (for tests and embedding).
     *
     * @param settings setting name to value, for example {@code CLOUDRUN_PORT=0}; a null value means the default
     * @return the configuration
     * @throws ServerConfigException on an unknown setting or an invalid value
     */
    public static ServerConfig of(Map<String, String> settings) {
        Map<String, String> texts = new HashMap<>();
        settings.forEach((name, value) -> {
            if (Settings.named(name).isEmpty()) {
                throw new ServerConfigException("unknown setting " + name);
            }
            if (value != null) {
                texts.put(name, value.trim());
            }
        });
        return new ServerConfig(texts);
    }

    private static Map<String, String> parseFlags(String[] args) {
        Map<String, String> flags = new HashMap<>();
        for (int index = 0; index < args.length; index++) {
            String arg = args[index];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String setting = FLAGS.get(name);
            if (setting == null) {
                throw new ServerConfigException("unknown option " + arg + " (known: " + String.join(", ", FLAGS.keySet()) + ")");
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

    /** @return the directory for the SQLite database and the generated JWT secret ({@code CLOUDRUN_DATA_DIR}) */
    public Path dataDir() {
        return dataDir;
    }

    /** @return where the server listens and whom it believes */
    public HttpSettings http() {
        return http;
    }

    /** @return the terminal workspaces' limits */
    public WorkspaceSettings workspaces() {
        return workspaces;
    }

    /** @return the MCP endpoint's settings */
    public McpSettings mcp() {
        return mcp;
    }

    /** @return the run WebSocket's limits */
    public WebSocketSettings webSocket() {
        return webSocket;
    }

    /** @return the database */
    public DatabaseSettings database() {
        return database;
    }

    /** @return accounts, tokens and the production checks */
    public AuthSettings auth() {
        return auth;
    }

    /** @return per-address and login limits */
    public RateLimitSettings rateLimits() {
        return rateLimits;
    }

    /** @return per-user run quotas */
    public RunQuotaSettings runQuota() {
        return runQuota;
    }

    /** @return what the run history keeps of each run's output */
    public RunHistorySettings runHistory() {
        return runHistory;
    }

    /** @return the sandbox and run limits */
    public SandboxSettings sandbox() {
        return sandbox;
    }

    /** @return package installs */
    public PackageSettings packages() {
        return packages;
    }

    /** @return project sizes */
    public ProjectSettings projects() {
        return projects;
    }

    /** @return the AI assistant */
    public AiSettings ai() {
        return ai;
    }

    /** @return the grading API */
    public GradingSettings grading() {
        return grading;
    }

    /** @return the compatible APIs */
    public CompatSettings compat() {
        return compat;
    }

    /** @return every setting with its value; secrets and database passwords are masked */
    @Override
    public String toString() {
        return shown;
    }
}
