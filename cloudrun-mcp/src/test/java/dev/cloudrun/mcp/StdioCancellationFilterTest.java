package dev.cloudrun.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
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
}
