package dev.cloudrun.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class StdioCancellationFilterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aToolCallIsTaggedWithItsRequestIdAndOtherMessagesPassUnchanged() throws Exception {
        RunCancellations cancellations = new RunCancellations();
        String call = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\","
                + "\"arguments\":{},\"_meta\":{\"progressToken\":\"p\"}}}";
        JsonNode tagged = JSON.readTree(StdioCancellationFilter.inspect(call, "stdio", cancellations));
        assertThat(tagged.path("params").path("_meta").path(RunCancellations.REQUEST_ID_META).asText()).isEqualTo("stdio#7");
        assertThat(tagged.path("params").path("_meta").path("progressToken").asText()).isEqualTo("p");
        String list = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/list\"}";
        assertThat(StdioCancellationFilter.inspect(list, "stdio", cancellations)).isEqualTo(list);
        assertThat(StdioCancellationFilter.inspect("not json \"tools/call\"", "stdio", cancellations))
                .isEqualTo("not json \"tools/call\"");
    }

    @Test
    void aCancellationStopsTheRegisteredRunAndIsNotPassedOn() {
        RunCancellations cancellations = new RunCancellations();
        List<String> stopped = new ArrayList<>();
        try (RunCancellations.Registration registration = cancellations.register("stdio#a-1",
                () -> stopped.add("a-1"))) {
            String cancel = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"a-1\"}}";
            assertThat(StdioCancellationFilter.inspect(cancel, "stdio", cancellations)).isNull();
            assertThat(stopped).containsExactly("a-1");
        }
        // After the run ended, a late cancellation of the same id stops nothing.
        StdioCancellationFilter.inspect("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                + "\"params\":{\"requestId\":\"a-1\"}}", "stdio", cancellations);
        assertThat(stopped).containsExactly("a-1");
    }

    @Test
    void aCancellationThatOvertakesItsCallStopsTheRunAsSoonAsItRegisters() {
        RunCancellations cancellations = new RunCancellations();
        cancellations.cancel("stdio#9");
        List<String> stopped = new ArrayList<>();
        try (RunCancellations.Registration registration = cancellations.register("stdio#9", () -> stopped.add("9"))) {
            assertThat(stopped).containsExactly("9");
        }
    }

    @Test
    void theSdkReadsTheFilteredLinesAndItsEndOfInputOnlyOnceTheAnswersAreOut() throws Exception {
        RunCancellations cancellations = new RunCancellations();
        List<String> stopped = new CopyOnWriteArrayList<>();
        RunCancellations.Registration running = cancellations.register("stdio#3", () -> stopped.add("3"));
        String client = String.join("\n",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}",
                "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{}}",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\"}}") + "\n";
        StdioCancellationFilter.Filtered filtered = StdioCancellationFilter.filter(
                new ByteArrayInputStream(client.getBytes(StandardCharsets.UTF_8)), "stdio", cancellations);
        List<String> read = new CopyOnWriteArrayList<>();
        AtomicBoolean endOfInput = new AtomicBoolean();
        // The SDK's reading thread, as its stdio transport reads: a BufferedReader over the stream.
        Thread sdk = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(filtered.input(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    read.add(line);
                }
                endOfInput.set(true);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "sdk-reader");
        sdk.start();
        filtered.ended().get();
        assertThat(stopped).containsExactly("3");
        assertThat(filtered.requests()).hasValue(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> read.size() == 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> sdk.getState() == Thread.State.WAITING);
        assertThat(endOfInput).isFalse();
        assertThat(read.get(0)).contains("\"initialize\"");
        assertThat(read.get(1)).contains("notifications/initialized");
        assertThat(read.get(2)).contains("\"s1\"");
        assertThat(JSON.readTree(read.get(3)).path("params").path("_meta").path(RunCancellations.REQUEST_ID_META).asText())
                .isEqualTo("stdio#2");
        filtered.endInput();
        sdk.join(10_000);
        assertThat(endOfInput).isTrue();
        running.close();
    }
}
