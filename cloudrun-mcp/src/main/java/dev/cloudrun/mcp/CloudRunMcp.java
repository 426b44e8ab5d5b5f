package dev.cloudrun.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.CellResult;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.Interpreter;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.WorkspaceEntry;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * CloudRun's MCP tools and resources over a {@link CodeRunner}, within an operator's
 * {@link McpPolicy}, ready to mount on any MCP server the official SDK builds
 * ({@link #configure(McpServer.SyncSpecification)}): stdio ({@link CloudRunMcpStdio}) or, later, the
 * server's streamable HTTP endpoint. Holds the agents' sessions; close it to close them.
 *
 * <p>Refusals follow the MCP specification: an unknown tool or resource is a protocol error (the
 * SDK's), a tool call with bad arguments (unknown language, oversize source or file, a path with
 * {@code ..} or absolute, another client's session, too many sessions, network not allowed) is a
 * result with {@code isError: true} whose text names the field, and nothing runs.
 */
public final class CloudRunMcp implements AutoCloseable {
    /** The folder whose PNG and JPEG files a run returns as images. */
    public static final String OUTPUT_FOLDER = "out";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z0-9@][A-Za-z0-9._/@=<>!~^*+-]{0,199}");
    private static final int MAX_PACKAGES = 32;
    private static final String PACKAGES_FOLDER = ".packages/python";
    /** A program that names no {@code out} anywhere cannot write to out/: its run skips the collecting step. */
    private static final Pattern NAMES_OUTPUT_FOLDER = Pattern.compile("\\bout\\b");

    private final CodeRunner runner;
    private final McpPolicy policy;
    private final Function<McpSyncServerExchange, String> clientOf;
    private final RunCancellations cancellations;
    private final RunJournal journal;
    private final AgentSessions sessions;
    private final LanguageVersions versions;

    private CloudRunMcp(CodeRunner runner, McpPolicy policy, Function<McpSyncServerExchange, String> clientOf,
                        RunCancellations cancellations, RunJournal journal) {
        this.journal = journal;
        this.runner = runner;
        this.policy = policy;
        this.clientOf = clientOf;
        this.cancellations = cancellations;
        this.sessions = new AgentSessions(runner, policy);
        this.versions = new LanguageVersions(runner);
    }

    /**
     * @param runner runs the code (not closed by this object)
     * @param policy what agents may ask for
     * @param clientOf who a call comes from, for session ownership: the MCP session id on stdio,
     *     the API key on an authenticated transport
     * @param cancellations where the transport reports {@code notifications/cancelled}
     * @return the tools and resources
     */
    public static CloudRunMcp create(CodeRunner runner, McpPolicy policy, Function<McpSyncServerExchange, String> clientOf,
                                     RunCancellations cancellations) {
        return create(runner, policy, clientOf, cancellations, RunJournal.NONE);
    }

    /**
     * As {@link #create(CodeRunner, McpPolicy, Function, RunCancellations)}, telling each run to a history.
     *
     * @param runner runs the code (not closed by this object)
     * @param policy what agents may ask for
     * @param clientOf who a call comes from, for session ownership
     * @param cancellations where the transport reports {@code notifications/cancelled}
     * @param journal hears of each run's start and end
     * @return the tools and resources
     */
    public static CloudRunMcp create(CodeRunner runner, McpPolicy policy, Function<McpSyncServerExchange, String> clientOf,
                                     RunCancellations cancellations, RunJournal journal) {
        return new CloudRunMcp(runner, policy, clientOf, cancellations, journal);
    }

    /**
     * Mounts the tools and resources on a server being built and names the server.
     *
     * @param spec the SDK's server specification
     * @param <S> its type
     * @return the same specification
     */
    public <S extends McpServer.SyncSpecification<S>> McpServer.SyncSpecification<S> configure(
            McpServer.SyncSpecification<S> spec) {
        return spec.serverInfo("cloudrun", "0.1.0")
                .instructions("Runs code in CloudRun's sandboxes: run_code for one program, or a session "
                        + "(create_session, write_file, run_in_session, read_file, list_files, close_session) whose "
                        + "files last between calls. PNG/JPEG files a program writes to out/ come back as images. "
                        + "Network is off unless the operator allows it.")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).resources(false, false).build())
                .tools(tools())
                .resources(resources())
                .resourceTemplates(resourceTemplates());
    }

    /** @param client a client that has gone: its sessions close */
    public void clientGone(String client) {
        sessions.closeAll(client);
    }

    /** @return how many sessions are open (all clients) */
    public int openSessions() {
        return sessions.openCount();
    }

    /** Closes every session. */
    @Override
    public void close() {
        sessions.close();
    }

    // ---- tools ----

    /** @return the tools */
    public List<SyncToolSpecification> tools() {
        Map<String, Object> limits = object(Map.of(
                "wall_time_seconds", number("Wall-clock limit, at most " + policy.maxLimits().wallTime().toSeconds()
                        + " (default " + policy.defaultLimits().wallTime().toSeconds() + ")"),
                "cpu_time_seconds", number("CPU-time limit, at most " + policy.maxLimits().cpuTime().toSeconds()),
                "memory_mb", integer("Memory limit in MiB, at most " + (policy.maxLimits().memoryBytes() >> 20)
                        + " (default " + (policy.defaultLimits().memoryBytes() >> 20) + ")"),
                "max_processes", integer("Processes and threads, at most " + policy.maxLimits().maxProcesses())),
                List.of(), "Limits for this run, within the operator's ceiling");
        Map<String, Object> files = Map.of("type", "object",
                "description", "Extra files by relative path: text, or {\"base64\": \"...\"} for bytes; at most "
                        + policy.maxFiles() + " files of " + policy.maxFileBytes() + " bytes each",
                "maxProperties", policy.maxFiles(),
                "additionalProperties", Map.of("anyOf", List.of(
                        Map.of("type", "string", "maxLength", policy.maxFileBytes()),
                        Map.of("type", "object", "properties", Map.of("base64", Map.of("type", "string")),
                                "required", List.of("base64")))));
        Map<String, Object> source = Map.of("type", "string", "maxLength", policy.maxSourceBytes(),
                "description", "The program's source (at most " + policy.maxSourceBytes() + " bytes of UTF-8)");
        Map<String, Object> language = string("Language id or alias (see list_languages): python, javascript, java, cpp, c, bash");
        Map<String, Object> network = Map.of("type", "boolean", "description", policy.networkAllowed()
                ? "Let the program reach the internet (behind a fence: never this host or private networks). Default false"
                : "Must be false: the operator has not allowed network");
        Map<String, Object> sessionId = string("A session id from create_session");
        Map<String, Object> path = string("A relative path inside the session (no '..', not absolute)");

        List<SyncToolSpecification> tools = new ArrayList<>();
        tools.add(tool("run_code", "Run a program once in a fresh sandbox. Returns status (OK, COMPILE_ERROR, "
                        + "RUNTIME_ERROR, TIME_LIMIT, MEMORY_LIMIT, OUTPUT_LIMIT, CANCELLED), exit code, stdout and stderr "
                        + "(each cut at " + policy.maxOutputChars() + " characters), time and memory. PNG/JPEG files "
                        + "the program writes to out/ (a folder its source names) come back as images.",
                object(props("language", language, "source", source, "stdin", string("Standard input"),
                        "files", files, "limits", limits, "network", network), List.of("language", "source"), null),
                false, this::runCode));
        tools.add(tool("list_languages", "The languages this server runs, with their toolchain versions.",
                object(Map.of(), List.of(), null), true, (exchange, request) -> listLanguages(request)));
        tools.add(tool("create_session", "Open a session: a sandbox whose files last between calls, for "
                        + policy.sessionIdleTimeout().toSeconds() + " s after its last use. At most "
                        + policy.maxSessionsPerClient() + " open per client.",
                object(props("language", language, "files", files, "network", network), List.of("language"), null),
                false, this::createSession));
        tools.add(tool("write_file", "Create or replace a file in a session.",
                object(props("session_id", sessionId, "path", path, "content", Map.of("anyOf", List.of(
                                Map.of("type", "string", "maxLength", policy.maxFileBytes()),
                                Map.of("type", "object", "properties", Map.of("base64", Map.of("type", "string")),
                                        "required", List.of("base64"))),
                        "description", "Text, or {\"base64\": \"...\"}; at most " + policy.maxFileBytes() + " bytes")),
                        List.of("session_id", "path", "content"), null),
                false, this::writeFile));
        tools.add(tool("read_file", "Read a file of a session (text, or base64 for bytes; PNG/JPEG also as an image).",
                object(props("session_id", sessionId, "path", path), List.of("session_id", "path"), null),
                true, this::readFile));
        tools.add(tool("list_files", "List a session's files and folders.",
                object(props("session_id", sessionId), List.of("session_id"), null), true, this::listFiles));
        tools.add(tool("run_in_session", "Run a program against a session's files: give source (written to the "
                        + "language's main file, or to main_file), or only main_file to run a file already there. "
                        + "Same result as run_code. With stateful: true (python sessions), the code runs as a cell "
                        + "of the session's long-lived interpreter instead: variables, imports and functions of "
                        + "earlier stateful calls are kept, and the value of a final expression comes back as "
                        + "'value'. A cell over its time limit, a crash or the memory limit ends that interpreter "
                        + "('interpreter_ended'); the next stateful call starts a fresh one ('restarted').",
                object(props("session_id", sessionId, "source", source, "main_file", path,
                        "stdin", string("Standard input (not with stateful: a cell reading stdin gets end-of-file)"),
                        "limits", limits, "stateful", Map.of("type", "boolean", "description",
                                "Run as a cell of the session's stateful interpreter (python only; default false). "
                                + "limits.wall_time_seconds is the cell's time limit")),
                        List.of("session_id"), null),
                false, this::runInSession));
        tools.add(tool("install_packages", "Install packages into a session (pip for python, into "
                        + PACKAGES_FOLDER + " which runs then import from; npm for javascript, into node_modules). "
                        + "Needs a session created with network: true, which the operator must allow.",
                object(props("session_id", sessionId, "packages", Map.of("type", "array", "maxItems", MAX_PACKAGES,
                        "items", Map.of("type", "string"), "description", "Package names, optionally with versions")),
                        List.of("session_id", "packages"), null),
                false, this::installPackages));
        tools.add(tool("close_session", "Close a session: its processes stop and its files are removed.",
                object(props("session_id", sessionId), List.of("session_id"), null), false, this::closeSession));
        return tools;
    }

    private CallToolResult runCode(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(),
                Set.of("language", "source", "stdin", "files", "limits", "network"));
        Language language = language(args.requiredString("language"));
        String source = args.requiredString("source");
        RunRequest request = RunRequest.of(language.id(), source(source))
                .withLimits(limits(args.optionalObject("limits")))
                .withNetwork(network(args));
        boolean mayWriteOutput = namesOutputFolder(source);
        for (Map.Entry<String, byte[]> file : args.files("files", policy).entrySet()) {
            request = request.withFile(file.getKey(), file.getValue());
            mayWriteOutput |= namesOutputFolder(new String(file.getValue(), StandardCharsets.UTF_8));
        }
        if (mayWriteOutput) {
            request = request.withOutputFiles(OUTPUT_FOLDER, policy.maxImageBytes());
        }
        String stdin = args.optionalString("stdin", null);
        if (stdin != null) {
            request = request.withStdin(sized("stdin", stdin));
        }
        ProgressRelay progress = ProgressRelay.of(exchange, call);
        try (Execution execution = runner.start(request, progress);
             RunCancellations.Registration ignored = cancellations.register(tag(call), execution::cancel)) {
            RunJournal.Entry entry = journal.started(exchange, "run_code", execution.id(), language.id(), null);
            RunResult result;
            try {
                result = execution.await();
            } catch (RuntimeException e) {
                entry.finished(failed(language.id(), e));
                throw e;
            }
            entry.finished(result);
            return reply(result);
        }
    }

    private CallToolResult listLanguages(CallToolRequest call) {
        ToolArguments.of(call.arguments(), Set.of());
        return structured(Map.of("languages", languageList()), false);
    }

    private List<Map<String, Object>> languageList() {
        Map<String, String> known = versions.all();
        List<Map<String, Object>> list = new ArrayList<>();
        for (Language language : runner.languages().all()) {
            if (language.previewOnly()) {
                continue;
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", language.id());
            entry.put("name", language.displayName());
            entry.put("aliases", language.aliases());
            entry.put("version", known.getOrDefault(language.id(), "unknown"));
            entry.put("main_file", language.sourceFile());
            entry.put("compiled", language.isCompiled());
            entry.put("packages", language.packageManager().map(manager -> manager.ecosystem()).orElse("none"));
            list.add(entry);
        }
        return list;
    }

    private CallToolResult createSession(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(), Set.of("language", "files", "network"));
        Language language = language(args.requiredString("language"));
        boolean network = network(args);
        Map<String, byte[]> files = args.files("files", policy);
        AgentSessions.Session session = sessions.create(clientOf.apply(exchange), language.id(), network);
        try {
            files.forEach(session.workspace()::write);
        } catch (RuntimeException e) {
            sessions.close(session.owner(), session.id());
            throw e;
        }
        return structured(Map.of("session_id", session.id(), "language", language.id(), "network", network,
                "idle_timeout_seconds", policy.sessionIdleTimeout().toSeconds(), "main_file", language.sourceFile()), false);
    }

    private CallToolResult writeFile(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(), Set.of("session_id", "path", "content"));
        AgentSessions.Session session = session(exchange, args);
        String path = path(args);
        Object content = call.arguments().get("content");
        if (content == null) {
            throw ToolInputException.field("content", "is required");
        }
        byte[] bytes = ToolArguments.content("content", content, policy.maxFileBytes());
        session.workspace().write(path, bytes);
        return structured(Map.of("path", path, "bytes", bytes.length), false);
    }

    private CallToolResult readFile(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(), Set.of("session_id", "path"));
        AgentSessions.Session session = session(exchange, args);
        String path = path(args);
        byte[] bytes = session.workspace().read(path);
        if (bytes.length > policy.maxFileBytes()) {
            throw ToolInputException.field("path", path + " holds " + bytes.length + " bytes, more than the "
                    + policy.maxFileBytes() + " a read returns");
        }
        String mime = imageType(path, bytes);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("path", path);
        answer.put("bytes", bytes.length);
        String text = utf8(bytes);
        if (text != null) {
            answer.put("text", text);
        } else {
            answer.put("base64", Base64.getEncoder().encodeToString(bytes));
        }
        CallToolResult.Builder result = CallToolResult.builder().structuredContent(answer).isError(false);
        result.addTextContent(json(answer));
        if (mime != null) {
            result.addContent(new McpSchema.ImageContent(null, Base64.getEncoder().encodeToString(bytes), mime, null));
        }
        return result.build();
    }

    private CallToolResult listFiles(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(), Set.of("session_id"));
        AgentSessions.Session session = session(exchange, args);
        return structured(Map.of("files", entries(session)), false);
    }

    private static List<Map<String, Object>> entries(AgentSessions.Session session) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (WorkspaceEntry entry : session.workspace().list()) {
            entries.add(Map.of("path", entry.path(), "directory", entry.directory(), "size", entry.size()));
        }
        return entries;
    }

    private CallToolResult runInSession(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(),
                Set.of("session_id", "source", "main_file", "stdin", "limits", "stateful"));
        AgentSessions.Session session = session(exchange, args);
        Language language = runner.languages().require(session.language());
        String mainFile = args.optionalString("main_file", null);
        if (mainFile != null) {
            ToolArguments.checkPath("main_file", mainFile);
        }
        if (args.optionalBoolean("stateful", false)) {
            return runCell(exchange, call, args, session, mainFile);
        }
        String source = args.optionalString("source", null);
        byte[] program;
        if (source != null) {
            program = source(source);
        } else if (mainFile != null) {
            program = session.workspace().read(mainFile);
        } else {
            throw ToolInputException.field("source", "give source, or main_file to run a file of the session");
        }
        RunRequest request = RunRequest.of(language.id(), program)
                .withLimits(limits(args.optionalObject("limits")));
        if (namesOutputFolder(new String(program, StandardCharsets.UTF_8))) {
            request = request.withOutputFiles(OUTPUT_FOLDER, policy.maxImageBytes());
        }
        if (mainFile != null) {
            request = request.withMainFileName(mainFile);
        }
        if (language.id().equals("python")) {
            request = request.withEnv("PYTHONPATH", PACKAGES_FOLDER);
        }
        String stdin = args.optionalString("stdin", null);
        if (stdin != null) {
            request = request.withStdin(sized("stdin", stdin));
        }
        return reply(runInWorkspace(exchange, "run_in_session", session, request, ProgressRelay.of(exchange, call),
                tag(call)));
    }

    /**
     * Runs a cell of the session's stateful interpreter (opened on the first stateful call). A
     * cancellation ends that interpreter: the cell ends {@code CANCELLED} and the next stateful call
     * starts a fresh one.
     */
    private CallToolResult runCell(McpSyncServerExchange exchange, CallToolRequest call, ToolArguments args,
                                   AgentSessions.Session session, String mainFile) {
        if (!session.language().equals("python")) {
            throw ToolInputException.field("stateful", "stateful runs are for python sessions; this one is "
                    + session.language());
        }
        if (args.optionalString("stdin", null) != null) {
            throw ToolInputException.field("stdin", "a stateful cell reads end-of-file from stdin; leave stdin out, "
                    + "or run without stateful");
        }
        String source = args.optionalString("source", null);
        String code;
        if (source != null) {
            code = new String(source(source), StandardCharsets.UTF_8);
        } else if (mainFile != null) {
            code = new String(session.workspace().read(mainFile), StandardCharsets.UTF_8);
        } else {
            throw ToolInputException.field("source", "give source, or main_file to run a file of the session");
        }
        Duration timeLimit = limits(args.optionalObject("limits")).wallTime();
        Interpreter interpreter = session.interpreter();
        CellResult cell;
        RunJournal.Entry entry = journal.started(exchange, "run_in_session", "cell-" + java.util.UUID.randomUUID(),
                "python", mainFile);
        try (RunCancellations.Registration ignored = cancellations.register(tag(call), session::endInterpreter)) {
            cell = interpreter.execute(code, timeLimit, ProgressRelay.of(exchange, call));
        } catch (CloudRunException e) {
            if (!interpreter.isAlive() && session.workspace().isOpen()) {
                // Cancelled while the interpreter started, or it was closed under this call.
                entry.finished(RunResult.builder(dev.cloudrun.Status.CANCELLED).language("python")
                        .message("cancelled: " + e.getMessage()).build());
                return structured(Map.of("status", "CANCELLED", "interpreter_ended", true,
                        "message", "cancelled: " + e.getMessage()), false);
            }
            entry.finished(failed("python", e));
            throw e;
        } catch (RuntimeException e) {
            entry.finished(failed("python", e));
            throw e;
        }
        entry.finished(RunResult.builder(cell.status()).language("python").exitCode(cell.exitCode())
                .signal(cell.signal()).wallTime(cell.wallTime())
                .stdout(cell.stdout().getBytes(StandardCharsets.UTF_8), false)
                .stderr(cell.stderr().getBytes(StandardCharsets.UTF_8), false).message(cell.message()).build());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", cell.status().name());
        answer.put("stdout", cut(cell.stdout()));
        answer.put("stderr", cut(cell.stderr()));
        cell.value().ifPresent(value -> answer.put("value", cut(value)));
        cell.error().ifPresent(error -> answer.put("error", error));
        answer.put("exit_code", cell.exitCode());
        if (cell.signal() != 0) {
            answer.put("signal", cell.signal());
        }
        answer.put("restarted", cell.restarted());
        answer.put("interpreter_ended", cell.interpreterEnded());
        answer.put("wall_time_ms", cell.wallTime().toMillis());
        answer.put("message", cell.message());
        return structured(answer, cell.status() == dev.cloudrun.Status.INTERNAL_ERROR);
    }

    /**
     * Runs in the session ({@code Workspace.run}: start, then await); a cancellation interrupts the waiting thread,
     * which cancels the run.
     */
    private RunResult runInWorkspace(McpSyncServerExchange exchange, String tool, AgentSessions.Session session,
                                     RunRequest request, ProgressRelay progress, String tag) {
        Thread caller = Thread.currentThread();
        RunJournal.Entry entry = null;
        try (RunCancellations.Registration ignored = cancellations.register(tag, caller::interrupt);
             Execution execution = session.workspace().start(request, progress)) {
            entry = journal.started(exchange, tool, execution.id(), request.language(),
                    request.mainFileName().orElse(null));
            RunResult result = execution.await();
            entry.finished(result);
            return result;
        } catch (CloudRunException e) {
            if (Thread.interrupted()) {
                RunResult cancelled = RunResult.builder(dev.cloudrun.Status.CANCELLED).language(request.language())
                        .message("cancelled by the client").build();
                if (entry != null) {
                    entry.finished(cancelled);
                }
                return cancelled;
            }
            if (entry != null) {
                entry.finished(failed(request.language(), e));
            }
            throw e;
        } catch (RuntimeException e) {
            if (entry != null) {
                entry.finished(failed(request.language(), e));
            }
            throw e;
        } finally {
            Thread.interrupted(); // A cancellation that came as the run ended must not reach the SDK's thread.
        }
    }

    private CallToolResult installPackages(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(), Set.of("session_id", "packages"));
        AgentSessions.Session session = session(exchange, args);
        List<String> packages = args.requiredStrings("packages", MAX_PACKAGES);
        for (String name : packages) {
            if (!PACKAGE_NAME.matcher(name).matches()) {
                throw ToolInputException.field("packages", "'" + name + "' is not a package name (letters, digits, "
                        + "._-@/ and version specifiers; it must not start with '-')");
            }
        }
        List<String> command = new ArrayList<>();
        switch (session.language()) {
            case "python" -> command.addAll(List.of("python3", "-m", "pip", "install", "--target", PACKAGES_FOLDER,
                    "--no-input", "--disable-pip-version-check", "--no-cache-dir", "--progress-bar=off",
                    "--no-warn-script-location", "--only-binary=:all:"));
            case "javascript" -> command.addAll(List.of("npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                    "--loglevel=error", "--cache", "/tmp/npm-cache", "--update-notifier=false"));
            default -> throw ToolInputException.field("session_id", "install_packages works in python and javascript "
                    + "sessions; this one is " + session.language());
        }
        if (!session.network()) {
            throw ToolInputException.field("session_id", "this session was created without network, which installing "
                    + "needs: create a session with network: true" + (policy.networkAllowed() ? ""
                    : " (the operator has not allowed network, so installing is off on this server)"));
        }
        command.add("--");
        command.addAll(packages);
        Language language = runner.languages().require(session.language());
        String extension = language.sourceFile().substring(language.sourceFile().lastIndexOf('.'));
        RunRequest request = RunRequest.of(language.id(), "0\n")
                .withMainFileName(".cloudrun-install" + extension)
                .withRunCommand(command)
                .withStderrToStdout()
                .withNetwork(true)
                .withLimits(policy.maxLimits());
        RunResult result = runInWorkspace(exchange, "install_packages", session, request, ProgressRelay.of(exchange, call),
                tag(call));
        session.workspace().delete(".cloudrun-install" + extension);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("installed", result.isOk());
        answer.put("status", result.status().name());
        answer.put("packages", packages);
        answer.put("output", cut(result.stdout()));
        return structured(answer, !result.isOk());
    }

    private CallToolResult closeSession(McpSyncServerExchange exchange, CallToolRequest call) {
        ToolArguments args = ToolArguments.of(call.arguments(), Set.of("session_id"));
        String id = args.requiredString("session_id");
        sessions.close(clientOf.apply(exchange), id);
        return structured(Map.of("session_id", id, "closed", true), false);
    }

    // ---- resources ----

    /** @return the fixed resources: the languages */
    public List<SyncResourceSpecification> resources() {
        McpSchema.Resource languages = McpSchema.Resource.builder("cloudrun://languages", "languages")
                .description("The languages this server runs, with their toolchain versions")
                .mimeType("application/json").build();
        return List.of(new SyncResourceSpecification(languages, (exchange, request) ->
                new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(request.uri(),
                        "application/json", json(Map.of("languages", languageList())))))));
    }

    /** @return the resource templates: a session's file list, and one file of it */
    public List<SyncResourceTemplateSpecification> resourceTemplates() {
        McpSchema.ResourceTemplate list = McpSchema.ResourceTemplate.builder("cloudrun://sessions/{session_id}/files",
                "session-files").description("A session's files and folders, as JSON").mimeType("application/json").build();
        McpSchema.ResourceTemplate file = McpSchema.ResourceTemplate.builder(
                "cloudrun://sessions/{session_id}/files/{path}", "session-file")
                .description("One file of a session; the path percent-encoded (a/b.txt is a%2Fb.txt)").build();
        return List.of(new SyncResourceTemplateSpecification(list, (exchange, request) -> {
            AgentSessions.Session session = resourceSession(exchange, request.uri());
            return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(request.uri(),
                    "application/json", json(Map.of("files", entries(session))))));
        }), new SyncResourceTemplateSpecification(file, (exchange, request) -> {
            AgentSessions.Session session = resourceSession(exchange, request.uri());
            String encoded = request.uri().substring(request.uri().indexOf("/files/") + "/files/".length());
            String path = URLDecoder.decode(encoded, StandardCharsets.UTF_8);
            byte[] bytes;
            try {
                ToolArguments.checkPath("path", path);
                bytes = session.workspace().read(path);
            } catch (ToolInputException | InvalidRequestException e) {
                throw McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS).message(e.getMessage()).build();
            }
            String text = utf8(bytes);
            McpSchema.ResourceContents contents = text != null
                    ? new McpSchema.TextResourceContents(request.uri(), "text/plain", text)
                    : new McpSchema.BlobResourceContents(request.uri(), imageTypeOr(path, bytes),
                            Base64.getEncoder().encodeToString(bytes));
            return new McpSchema.ReadResourceResult(List.of(contents));
        }));
    }

    private AgentSessions.Session resourceSession(McpSyncServerExchange exchange, String uri) {
        String rest = uri.substring("cloudrun://sessions/".length());
        String id = rest.substring(0, rest.indexOf('/'));
        try {
            return sessions.get(clientOf.apply(exchange), id);
        } catch (ToolInputException e) {
            throw McpError.builder(McpSchema.ErrorCodes.RESOURCE_NOT_FOUND).message(e.getMessage()).data(uri).build();
        }
    }

    // ---- shared pieces ----

    private SyncToolSpecification tool(String name, String description, Map<String, Object> schema, boolean readOnly,
                                       BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
        McpSchema.Tool tool = McpSchema.Tool.builder(name, schema).description(description)
                .annotations(new McpSchema.ToolAnnotations(null, readOnly, false, readOnly, false, null)).build();
        return SyncToolSpecification.builder().tool(tool).callHandler((exchange, call) -> {
            try {
                return handler.apply(exchange, call);
            } catch (ToolInputException e) {
                return error(e.getMessage());
            } catch (InvalidRequestException e) {
                return error(e.getMessage());
            } catch (CloudRunException e) {
                return error(name + " failed: " + e.getMessage());
            }
        }).build();
    }

    private Language language(String name) {
        Language language = runner.languages().find(name).orElseThrow(() -> ToolInputException.field("language",
                "unknown language '" + name + "'; known: " + String.join(", ", languageIds())));
        if (language.previewOnly()) {
            throw ToolInputException.field("language", language.id() + " is preview-only: there is nothing to run");
        }
        return language;
    }

    private List<String> languageIds() {
        return runner.languages().all().stream().filter(l -> !l.previewOnly()).map(Language::id).toList();
    }

    private byte[] source(String source) {
        return sized("source", source);
    }

    private byte[] sized(String field, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > policy.maxSourceBytes()) {
            throw ToolInputException.field(field, "is " + bytes.length + " bytes, more than the " + policy.maxSourceBytes()
                    + " allowed");
        }
        return bytes;
    }

    private String path(ToolArguments args) {
        String path = args.requiredString("path");
        ToolArguments.checkPath("path", path);
        return path;
    }

    private AgentSessions.Session session(McpSyncServerExchange exchange, ToolArguments args) {
        return sessions.get(clientOf.apply(exchange), args.requiredString("session_id"));
    }

    private boolean network(ToolArguments args) {
        boolean wanted = args.optionalBoolean("network", false);
        if (wanted && !policy.networkAllowed()) {
            throw ToolInputException.field("network", "the operator has not allowed network on this server "
                    + "(./cloudrun mcp --network-allowed turns it on); run without it");
        }
        return wanted;
    }

    private dev.cloudrun.Limits limits(Map<String, Object> asked) {
        dev.cloudrun.Limits limits = policy.defaultLimits();
        for (Map.Entry<String, Object> entry : asked.entrySet()) {
            String field = "limits." + entry.getKey();
            if (!(entry.getValue() instanceof Number number)) {
                throw ToolInputException.field(field, "must be a number");
            }
            double value = number.doubleValue();
            if (!(value > 0) || value > 1e9) {
                throw ToolInputException.field(field, "must be positive, was " + number);
            }
            limits = switch (entry.getKey()) {
                case "wall_time_seconds" -> limits.withWallTime(Duration.ofMillis(Math.round(value * 1000)));
                case "cpu_time_seconds" -> limits.withCpuTime(Duration.ofMillis(Math.round(value * 1000)));
                case "memory_mb" -> limits.withMemoryBytes(Math.round(value) << 20);
                case "max_processes" -> limits.withMaxProcesses((int) Math.round(value));
                default -> throw ToolInputException.field(field, "unknown limit; known: wall_time_seconds, "
                        + "cpu_time_seconds, memory_mb, max_processes");
            };
        }
        if (asked.containsKey("wall_time_seconds") && !asked.containsKey("cpu_time_seconds")
                && limits.cpuTime().compareTo(limits.wallTime()) > 0) {
            limits = limits.withCpuTime(limits.wallTime());
        }
        dev.cloudrun.Limits ceiling = policy.maxLimits();
        if (limits.wallTime().compareTo(ceiling.wallTime()) > 0) {
            throw ToolInputException.field("limits.wall_time_seconds", "must be at most " + ceiling.wallTime().toSeconds()
                    + " (the operator's ceiling)");
        }
        if (limits.cpuTime().compareTo(ceiling.cpuTime()) > 0) {
            throw ToolInputException.field("limits.cpu_time_seconds", "must be at most " + ceiling.cpuTime().toSeconds()
                    + " (the operator's ceiling)");
        }
        if (limits.memoryBytes() > ceiling.memoryBytes()) {
            throw ToolInputException.field("limits.memory_mb", "must be at most " + (ceiling.memoryBytes() >> 20)
                    + " (the operator's ceiling)");
        }
        if (limits.maxProcesses() > ceiling.maxProcesses()) {
            throw ToolInputException.field("limits.max_processes", "must be at most " + ceiling.maxProcesses()
                    + " (the operator's ceiling)");
        }
        limits.validateAgainst(ceiling);
        return limits;
    }

    /**
     * Carrying out/ back costs a step in the sandbox after the program (a {@code tar}), so a run pays
     * it only when its source or files name {@code out} as a word: a program that writes there names it.
     */
    private static boolean namesOutputFolder(String text) {
        return NAMES_OUTPUT_FOLDER.matcher(text).find();
    }

    /** A failure of the system, as the history records it. */
    private static RunResult failed(String language, RuntimeException e) {
        return RunResult.builder(dev.cloudrun.Status.INTERNAL_ERROR).language(language).message(String.valueOf(e.getMessage()))
                .build();
    }

    private static String tag(CallToolRequest call) {
        Object tag = call.meta() == null ? null : call.meta().get(RunCancellations.REQUEST_ID_META);
        return tag == null ? null : tag.toString();
    }

    private CallToolResult reply(RunResult result) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", result.status().name());
        answer.put("exit_code", result.exitCode());
        result.signal().ifPresent(signal -> answer.put("signal", signal));
        answer.put("stdout", cut(result.stdout()));
        answer.put("stderr", cut(result.stderr()));
        answer.put("stdout_truncated", result.stdoutTruncated() || result.stdout().length() > policy.maxOutputChars());
        answer.put("stderr_truncated", result.stderrTruncated() || result.stderr().length() > policy.maxOutputChars());
        if (!result.compilerOutput().isEmpty()) {
            answer.put("compiler_output", cut(result.compilerOutput()));
        }
        answer.put("wall_time_ms", result.wallTime().toMillis());
        answer.put("cpu_time_ms", result.cpuTime().toMillis());
        answer.put("memory_bytes", result.memoryBytes());
        answer.put("message", result.message());
        List<McpSchema.Content> images = new ArrayList<>();
        List<String> files = new ArrayList<>();
        result.outputFiles().forEach((path, bytes) -> {
            files.add(path);
            String mime = imageType(path, bytes);
            if (mime != null) {
                images.add(new McpSchema.ImageContent(null, Base64.getEncoder().encodeToString(bytes), mime, null));
            }
        });
        answer.put("output_files", files);
        CallToolResult.Builder reply = CallToolResult.builder().structuredContent(answer)
                .isError(result.status() == dev.cloudrun.Status.INTERNAL_ERROR);
        reply.addTextContent(json(answer));
        images.forEach(reply::addContent);
        return reply.build();
    }

    private String cut(String text) {
        if (text.length() <= policy.maxOutputChars()) {
            return text;
        }
        return text.substring(0, policy.maxOutputChars()) + "\n[cut at " + policy.maxOutputChars() + " characters]";
    }

    private static CallToolResult structured(Map<String, Object> answer, boolean isError) {
        return CallToolResult.builder().structuredContent(answer).addTextContent(json(answer)).isError(isError).build();
    }

    private static CallToolResult error(String message) {
        return CallToolResult.builder().addTextContent(message).isError(true).build();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the text, or null when the bytes are not UTF-8 */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** @return image/png or image/jpeg when the name and the first bytes say so, else null */
    static String imageType(String path, byte[] bytes) {
        String lower = path.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".png") && bytes.length > 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N'
                && bytes[3] == 'G') {
            return "image/png";
        }
        if ((lower.endsWith(".jpg") || lower.endsWith(".jpeg")) && bytes.length > 3 && (bytes[0] & 0xff) == 0xff
                && (bytes[1] & 0xff) == 0xd8) {
            return "image/jpeg";
        }
        return null;
    }

    private static String imageTypeOr(String path, byte[] bytes) {
        String type = imageType(path, bytes);
        return type == null ? "application/octet-stream" : type;
    }

    private static Map<String, Object> props(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static Map<String, Object> object(Map<String, Object> properties, List<String> required, String description) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        if (description != null) {
            schema.put("description", description);
        }
        schema.put("properties", properties);
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    private static Map<String, Object> string(String description) {
        return Map.of("type", "string", "description", description);
    }

    private static Map<String, Object> number(String description) {
        return Map.of("type", "number", "exclusiveMinimum", 0, "description", description);
    }

    private static Map<String, Object> integer(String description) {
        return Map.of("type", "integer", "minimum", 1, "description", description);
    }
}
