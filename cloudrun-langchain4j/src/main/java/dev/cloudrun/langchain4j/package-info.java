/**
 * LangChain4j integration, shipped as {@code dev.cloudrun:cloudrun-langchain4j}: an agent's code runs in
 * CloudRun's sandboxes through a shared {@link dev.cloudrun.CodeRunner}.
 * {@link dev.cloudrun.langchain4j.CloudRunCodeExecutionEngine} is a LangChain4j
 * {@code CodeExecutionEngine} for one language; {@link dev.cloudrun.langchain4j.CloudRunTools} is a
 * ready {@code @Tool} class ({@code runCode}, {@code listLanguages}) for {@code AiServices}. Both run
 * with the limits they were configured with, never with limits the model asks for, and with network
 * off; both answer every outcome of the program (compile error, crash, time or memory limit) with a
 * text the model can act on, with the output capped.
 */
package dev.cloudrun.langchain4j;
