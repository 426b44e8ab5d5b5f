package dev.cloudrun.server.ai;

/**
 * What is sent to a model: the instructions and the user's message.
 *
 * @param system the system instructions
 * @param user the user's message, with the code, the error and the output
 */
record Prompt(String system, String user) { }
