package dev.cloudrun.server.config;

import java.time.Duration;

/**
 * The MCP endpoint for agents ({@code /mcp}, docs/agents.md).
 *
 * @param enabled whether {@code /mcp} is served ({@code CLOUDRUN_MCP_ENABLED})
 * @param sessionsPerUser open MCP sessions per user ({@code CLOUDRUN_MCP_SESSIONS_PER_USER})
 * @param maxSessions open MCP sessions on this server ({@code CLOUDRUN_MCP_MAX_SESSIONS})
 * @param sessionIdleTimeout how long an unused session stays open ({@code CLOUDRUN_MCP_SESSION_IDLE_MINUTES})
 * @param networkAllowed whether agents may ask for network ({@code CLOUDRUN_MCP_NETWORK_ALLOWED})
 * @param maxSourceBytes the largest source a call may carry ({@code CLOUDRUN_MCP_MAX_SOURCE_BYTES})
 * @param maxFileBytes the largest file a call may carry ({@code CLOUDRUN_MCP_MAX_FILE_BYTES})
 */
public record McpSettings(boolean enabled, int sessionsPerUser, int maxSessions, Duration sessionIdleTimeout,
                          boolean networkAllowed, int maxSourceBytes, int maxFileBytes) {

    static McpSettings from(SettingValues values) {
        return new McpSettings(values.get(Settings.MCP_ENABLED), values.get(Settings.MCP_SESSIONS_PER_USER),
                values.get(Settings.MCP_MAX_SESSIONS), Duration.ofMinutes(values.get(Settings.MCP_SESSION_IDLE_MINUTES)),
                values.get(Settings.MCP_NETWORK_ALLOWED), values.get(Settings.MCP_MAX_SOURCE_BYTES),
                values.get(Settings.MCP_MAX_FILE_BYTES));
    }
}
