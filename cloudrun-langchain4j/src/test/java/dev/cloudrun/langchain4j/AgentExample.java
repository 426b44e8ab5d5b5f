package dev.cloudrun.langchain4j;

import dev.cloudrun.CodeRunner;
import dev.langchain4j.code.CodeExecutionEngine;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import java.time.Duration;

/**
 * The example in {@code docs/langchain4j.md}, compiled and run by the tests (the text between the docs markers
 * must stay equal to the document's code block; {@link LangChain4jDocTest} checks it).
 */
public final class AgentExample {
    private AgentExample() { }

    // docs:start
    public interface Assistant {
        String chat(String message);
    }

    /** An agent whose model may call runCode and listLanguages. */
    static String askTheAgent(CodeRunner runner, ChatModel model) {
        CloudRunTools tools = CloudRunTools.create(runner)
                .withLanguages("python", "javascript")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(5)).withMemoryBytes(128L << 20));
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(model)
                .tools(tools)
                .build();
        return assistant.chat("What is 6 * 7? Compute it with Python.");
    }

    /** The engine: one language, for code your application already holds. */
    static String runDirectly(CodeRunner runner) {
        CodeExecutionEngine engine = CloudRunCodeExecutionEngine.create(runner)
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(5)));
        return engine.execute("print(6 * 7)");   // "42\n"
    }

    public static void main(String[] args) {
        try (CodeRunner runner = CodeRunner.create()) {
            ChatModel model = OpenAiChatModel.builder()
                    .apiKey(System.getenv("OPENAI_API_KEY"))
                    .modelName("gpt-4o-mini")
                    .build();
            System.out.println(askTheAgent(runner, model));
            System.out.println(runDirectly(runner));
        }
    }
    // docs:end
}
