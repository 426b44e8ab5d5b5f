/**
 * Terminal workspaces on the server: {@code /ws/terminal/{projectId}} ({@link dev.cloudrun.server.terminals.TerminalSocket}),
 * one SDK {@link dev.cloudrun.Workspace} per open project ({@link dev.cloudrun.server.terminals.WorkspaceRegistry}), and
 * the project's saved files kept in step with the workspace's ({@link dev.cloudrun.server.terminals.FileSync}).
 */
package dev.cloudrun.server.terminals;
