package dev.cloudrun.langchain4j;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the LangChain4j layer costs on top of a run (a benchmark that prints figures, not a test): the
 * same {@code print(6 * 7)} through {@code CodeRunner.run}, the engine, {@code CloudRunTools.runCode},
 * and a whole {@code AiServices} turn against {@link FakeOpenAiServer} (two model round trips over
 * local HTTP plus the run). Arguments: backend ({@code local} or {@code docker}, default local) and
 * the number of measured runs (default 30).
 */
public final class LangChain4jBenchmark {
    private LangChain4jBenchmark() { }

    public static void main(String[] args) {
        BackendKind backend = args.length > 0 ? BackendKind.valueOf(args[0].toUpperCase(Locale.ROOT)) : BackendKind.LOCAL;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Map<String, Object[]> call = new LinkedHashMap<>();
        call.put("call_1", new Object[] {"runCode", Map.of("language", "python", "code", "print(6 * 7)")});
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend));
             FakeOpenAiServer server = new FakeOpenAiServer(request -> FakeOpenAiServer.toolResults(request).isEmpty()
                     ? FakeOpenAiServer.toolCalls(call) : FakeOpenAiServer.answer("42"))) {
            CloudRunCodeExecutionEngine engine = CloudRunCodeExecutionEngine.create(runner);
            CloudRunTools tools = CloudRunTools.create(runner);
            AgentExample.Assistant assistant = AiServices.builder(AgentExample.Assistant.class)
                    .chatModel(OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m")
                            .timeout(Duration.ofSeconds(60)).build())
                    .tools(tools).build();
            System.out.printf(Locale.ROOT, "backend %s, %d runs each, print(6 * 7) in Python; milliseconds%n",
                    runner.backendName(), runs);
            System.out.printf(Locale.ROOT, "%-26s %8s %8s %8s%n", "path", "p50", "p90", "max");
            measure("CodeRunner.run", runs, () -> runner.run(RunRequest.of("python", "print(6 * 7)")).stdout());
            measure("engine.execute", runs, () -> engine.execute("print(6 * 7)"));
            measure("tools.runCode", runs, () -> tools.runCode("python", "print(6 * 7)", null));
            measure("AiServices turn (fake LLM)", runs, () -> assistant.chat("What is 6 * 7?"));
        }
    }

    private static void measure(String name, int runs, Supplier<String> work) {
        for (int i = 0; i < 3; i++) {
            check(work.get());
        }
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            check(work.get());
            millis.add((System.nanoTime() - start) / 1e6);
        }
        millis.sort(null);
        System.out.printf(Locale.ROOT, "%-26s %8.1f %8.1f %8.1f%n", name, millis.get(runs / 2),
                millis.get(Math.min(runs - 1, (int) Math.ceil(runs * 0.9) - 1)), millis.get(runs - 1));
    }

    private static void check(String output) {
        if (!output.contains("42")) {
            throw new IllegalStateException("unexpected output: " + output);
        }
    }
}
