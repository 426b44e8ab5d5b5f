package dev.cloudrun.server.config;

import java.time.Duration;

/**
 * Terminal workspaces: one sandbox per project with shells in it ({@code /ws/terminal/{projectId}}).
 *
 * @param idleTimeout how long a workspace with no terminal stays open ({@code CLOUDRUN_WORKSPACE_IDLE_MINUTES})
 * @param maxLifetime how long a workspace stays open at most ({@code CLOUDRUN_WORKSPACE_MAX_LIFETIME_MINUTES})
 * @param maxWorkspacesPerUser open workspaces per user ({@code CLOUDRUN_MAX_WORKSPACES_PER_USER})
 * @param maxTerminalsPerUser open terminals per user ({@code CLOUDRUN_MAX_TERMINALS_PER_USER})
 * @param memoryBytes memory of one workspace ({@code CLOUDRUN_WORKSPACE_MEMORY_BYTES})
 * @param maxProcesses processes of one workspace ({@code CLOUDRUN_WORKSPACE_MAX_PROCESSES})
 * @param diskBytes the file tree cap of one workspace ({@code CLOUDRUN_WORKSPACE_DISK_BYTES})
 * @param network whether workspaces may reach the network, behind the fence ({@code CLOUDRUN_WORKSPACE_NETWORK})
 * @param reattachWindow how long a dropped terminal waits for its client ({@code CLOUDRUN_TERMINAL_REATTACH_SECONDS})
 */
public record WorkspaceSettings(Duration idleTimeout, Duration maxLifetime, int maxWorkspacesPerUser, int maxTerminalsPerUser,
                                long memoryBytes, int maxProcesses, long diskBytes, boolean network, Duration reattachWindow) {

    static WorkspaceSettings from(SettingValues values) {
        return new WorkspaceSettings(Duration.ofMinutes(values.get(Settings.WORKSPACE_IDLE_MINUTES)),
                Duration.ofMinutes(values.get(Settings.WORKSPACE_MAX_LIFETIME_MINUTES)),
                values.get(Settings.MAX_WORKSPACES_PER_USER), values.get(Settings.MAX_TERMINALS_PER_USER),
                values.get(Settings.WORKSPACE_MEMORY_BYTES), values.get(Settings.WORKSPACE_MAX_PROCESSES),
                values.get(Settings.WORKSPACE_DISK_BYTES), values.get(Settings.WORKSPACE_NETWORK),
                Duration.ofSeconds(values.get(Settings.TERMINAL_REATTACH_SECONDS)));
    }
}
