package dev.cloudrun.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.server.JettyServerUpgradeRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A real Javalin WebSocket whose connect handler releases the handshake, talked to by the JDK's client. */
class UpgradeContextsTest {
    private final LinkedBlockingQueue<Object> before = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Object> after = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    private Javalin app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop();
        }
    }

    @Test
    void the_handshake_is_released_and_the_socket_keeps_working() throws Exception {
        app = Javalin.create(config -> config.showJavalinBanner = false).ws("/echo", ws -> {
            ws.onConnect(ctx -> {
                before.add(String.valueOf(attribute(ctx.session)) + " " + ctx.queryParam("name"));
                UpgradeContexts.release(ctx);
                after.add(String.valueOf(attribute(ctx.session)));
            });
            ws.onMessage(ctx -> ctx.send("echo " + ctx.message() + " on " + ctx.sessionId().length()));
        }).start("127.0.0.1", 0);

        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + app.port() + "/echo?name=ada"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        received.add(data.toString());
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);

        // The attribute Javalin keeps the handshake under is the one released (a Javalin upgrade that renames it fails here).
        assertThat(before.poll(10, TimeUnit.SECONDS)).asString().contains(Context.class.getPackageName()).endsWith(" ada");
        assertThat(after.poll(10, TimeUnit.SECONDS)).isEqualTo("null");
        socket.sendText("one", true).get(10, TimeUnit.SECONDS);
        socket.sendText("two", true).get(10, TimeUnit.SECONDS);
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo one on 36");
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo two on 36");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
    }

    private static Object attribute(org.eclipse.jetty.websocket.api.Session session) {
        return ((JettyServerUpgradeRequest) session.getUpgradeRequest()).getHttpServletRequest()
                .getAttribute(UpgradeContexts.JAVALIN_UPGRADE_CONTEXT);
    }
}
