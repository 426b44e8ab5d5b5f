package dev.cloudrun.server.http;

import io.javalin.websocket.WsConnectContext;
import org.eclipse.jetty.websocket.server.JettyServerUpgradeRequest;

/**
 * Lets an open WebSocket forget the HTTP exchange of its handshake. Javalin keeps the handshake's
 * {@code Context} in an attribute of Jetty's copy of the upgrade request, for the {@code WsContext}
 * accessors ({@code header}, {@code queryParam}, {@code attribute}, ...); that Context holds Jetty's
 * response and through it the whole HTTP channel, parser and connection of the handshake, so every
 * idle socket kept about 4.5 KiB of heap it never uses again (a class histogram over 200 sockets; see
 * docs/performance.md, "Memory of the idle server and of an idle WebSocket"). Jetty's own copy of the
 * upgrade request (headers, URI, parameters) stays.
 */
public final class UpgradeContexts {
    /** The request attribute under which Javalin 6 keeps a socket's upgrade {@code Context}. */
    static final String JAVALIN_UPGRADE_CONTEXT = "javalin-ws-upgrade-context";

    private UpgradeContexts() { }

    /**
     * Drops the handshake's HTTP exchange. Call it in the connect handler once it has read what the
     * socket needs from the handshake: afterwards the accessors of the upgrade
     * request on this socket's contexts ({@code header}, {@code queryParam}, {@code pathParam},
     * {@code attribute}, ...) fail; {@code session}, {@code sessionId}, {@code message} and
     * sending keep working.
     *
     * @param ctx the socket's connect context
     */
    public static void release(WsConnectContext ctx) {
        if (ctx.session.getUpgradeRequest() instanceof JettyServerUpgradeRequest upgrade) {
            upgrade.getHttpServletRequest().removeAttribute(JAVALIN_UPGRADE_CONTEXT);
        }
    }
}
