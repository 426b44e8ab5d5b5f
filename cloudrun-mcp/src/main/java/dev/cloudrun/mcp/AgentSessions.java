package dev.cloudrun.mcp;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Interpreter;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agents' sessions: each one a {@link Workspace} that keeps its files between tool calls,
 * owned by the client that made it (an MCP connection, or an API key on HTTP). Another client's
 * session id is refused as unknown. Caps per client and in all; a session closes itself after the
 * policy's idle timeout (the workspace's own timer), and every session of a client closes when
 * the client goes ({@link #closeAll(String)}). Thread-safe.
 */
final class AgentSessions implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One open session, with its stateful interpreter once a stateful call asked for one. */
    static final class Session {
        private final String id;
        private final String owner;
        private final String language;
        private final boolean network;
        private final Workspace workspace;
        private Interpreter interpreter;

        Session(String id, String owner, String language, boolean network, Workspace workspace) {
            this.id = id;
            this.owner = owner;
            this.language = language;
            this.network = network;
            this.workspace = workspace;
        }

        String id() {
            return id;
        }

        String owner() {
            return owner;
        }

        String language() {
            return language;
        }

        boolean network() {
            return network;
        }

        Workspace workspace() {
            return workspace;
        }

        /** @return the session's stateful interpreter, opened now if it has none (nothing starts before a cell) */
        synchronized Interpreter interpreter() {
            if (interpreter == null) {
                interpreter = workspace.openInterpreter(language);
            }
            return interpreter;
        }

        /** Kills the stateful interpreter, if any: a cell going on ends cancelled, the next call starts afresh. */
        void endInterpreter() {
            Interpreter ending;
            synchronized (this) {
                ending = interpreter;
                interpreter = null;
            }
            if (ending != null) {
                ending.close();
            }
        }
    }

    private final CodeRunner runner;
    private final McpPolicy policy;
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private int opening;

    AgentSessions(CodeRunner runner, McpPolicy policy) {
        this.runner = runner;
        this.policy = policy;
    }

    /**
     * Opens a session; the caps are checked before any sandbox is made.
     *
     * @param owner the client
     * @param language the language id
     * @param network whether its programs may reach the network (already checked against the policy)
     * @return the session
     */
    Session create(String owner, String language, boolean network) {
        synchronized (this) {
            pruneClosed();
            long mine = sessions.values().stream().filter(s -> s.owner().equals(owner)).count();
            if (mine >= policy.maxSessionsPerClient()) {
                throw new ToolInputException("too many sessions: this client has " + mine + " open, the most allowed is "
                        + policy.maxSessionsPerClient() + "; close one with close_session first");
            }
            if (sessions.size() + opening >= policy.maxSessions()) {
                throw new ToolInputException("too many sessions: the server has " + policy.maxSessions()
                        + " open, the most allowed; close one with close_session or try later");
            }
            opening++;
        }
        try {
            Workspace workspace = runner.openWorkspace(WorkspaceSpec.of(language)
                    .withMemoryBytes(policy.sessionMemoryBytes())
                    .withDiskBytes(policy.sessionDiskBytes())
                    .withNetwork(network)
                    .withIdleTimeout(policy.sessionIdleTimeout()));
            String id = "s" + HexFormat.of().formatHex(bytes(12));
            Session session = new Session(id, owner, language, network, workspace);
            synchronized (this) {
                sessions.put(id, session);
            }
            return session;
        } finally {
            synchronized (this) {
                opening--;
            }
        }
    }

    private static byte[] bytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /**
     * @param owner the client asking
     * @param id the session id it gave
     * @return the session, open
     * @throws ToolInputException if the id is not one of this client's open sessions
     */
    synchronized Session get(String owner, String id) {
        Session session = sessions.get(id);
        if (session == null || !session.owner().equals(owner)) {
            throw ToolInputException.field("session_id", "'" + id + "' is not a session of this client (never made"
                    + " here, made by another client, or closed); create one with create_session");
        }
        if (!session.workspace().isOpen()) {
            sessions.remove(id);
            throw ToolInputException.field("session_id", "session '" + id + "' has expired (idle for more than "
                    + policy.sessionIdleTimeout().toSeconds() + " s, or at its maximum lifetime); create a new one");
        }
        return session;
    }

    /**
     * Closes one session: its processes are killed and its files removed.
     *
     * @param owner the client asking
     * @param id the session id
     */
    void close(String owner, String id) {
        Session session = get(owner, id);
        synchronized (this) {
            sessions.remove(id);
        }
        session.workspace().close();
    }

    /** @return the client's open sessions */
    synchronized List<Session> of(String owner) {
        pruneClosed();
        return sessions.values().stream().filter(s -> s.owner().equals(owner)).toList();
    }

    /** @return how many sessions are open */
    synchronized int openCount() {
        pruneClosed();
        return sessions.size();
    }

    /** @param owner a client that has gone: its sessions close */
    void closeAll(String owner) {
        List<Session> closing = new ArrayList<>();
        synchronized (this) {
            sessions.values().removeIf(s -> s.owner().equals(owner) && closing.add(s));
        }
        closing.forEach(s -> s.workspace().close());
    }

    private void pruneClosed() {
        sessions.values().removeIf(s -> !s.workspace().isOpen());
    }

    /** Closes every session. */
    @Override
    public void close() {
        List<Session> closing;
        synchronized (this) {
            closing = new ArrayList<>(sessions.values());
            sessions.clear();
        }
        closing.forEach(s -> s.workspace().close());
    }
}
