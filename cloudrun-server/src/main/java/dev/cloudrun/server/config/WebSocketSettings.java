package dev.cloudrun.server.config;

import java.time.Duration;

/**
 * The run WebSocket ({@code /ws/run}).
 *
 * @param maxMessageBytes the largest message a client may send ({@code CLOUDRUN_WS_MAX_MESSAGE_BYTES})
 * @param idleTimeout how long a silent socket stays open ({@code CLOUDRUN_WS_IDLE_TIMEOUT_SECONDS})
 * @param pingInterval how often the server pings each socket ({@code CLOUDRUN_WS_PING_SECONDS})
 * @param authTimeout how long a socket may stay open unauthenticated ({@code CLOUDRUN_WS_AUTH_TIMEOUT_SECONDS})
 * @param unauthenticatedPerAddress unauthenticated sockets one address may have ({@code CLOUDRUN_WS_UNAUTHENTICATED_PER_IP})
 */
public record WebSocketSettings(int maxMessageBytes, Duration idleTimeout, Duration pingInterval, Duration authTimeout,
        int unauthenticatedPerAddress) {

    static WebSocketSettings from(SettingValues values) {
        return new WebSocketSettings(values.get(Settings.WS_MAX_MESSAGE_BYTES),
                Duration.ofSeconds(values.get(Settings.WS_IDLE_TIMEOUT_SECONDS)),
                Duration.ofSeconds(values.get(Settings.WS_PING_SECONDS)),
                Duration.ofSeconds(values.get(Settings.WS_AUTH_TIMEOUT_SECONDS)), values.get(Settings.WS_UNAUTHENTICATED_PER_IP));
    }
}
