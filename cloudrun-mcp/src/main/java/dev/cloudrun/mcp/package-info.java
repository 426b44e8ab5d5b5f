/**
 * CloudRun as a Model Context Protocol server for AI agents, built on the official MCP Java SDK.
 * {@link dev.cloudrun.mcp.CloudRunMcp} declares the tools and resources over a
 * {@link dev.cloudrun.CodeRunner} and an operator's {@link dev.cloudrun.mcp.McpPolicy}, for any MCP
 * transport; {@link dev.cloudrun.mcp.CloudRunMcpStdio} serves them over stdio, as
 * {@code ./cloudrun mcp} does.
 */
package dev.cloudrun.mcp;
