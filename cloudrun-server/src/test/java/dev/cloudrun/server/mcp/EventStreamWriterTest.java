package dev.cloudrun.server.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Where {@link EventStreamWriter} puts its keep-alive comments, and how it tells a client gone. */
class EventStreamWriterTest {
    private static final String PROGRESS = "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n";
    private static final String ANSWER = "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n";

    @Test
    void a_comment_goes_between_events_never_inside_one_and_none_after_the_answer() {
        StringWriter sent = new StringWriter();
        AtomicInteger answers = new AtomicInteger();
        EventStreamWriter writer = new EventStreamWriter(new PrintWriter(sent), answers::incrementAndGet, () -> true);
        assertThat(writer.keepAlive()).isTrue();
        writer.write("id: s1\n");
        writer.write("event: message\n");
        assertThat(writer.keepAlive()).isTrue();
        writer.write(PROGRESS);
        assertThat(writer.keepAlive()).isTrue();
        writer.write("id: s1\n");
        writer.write("event: message\n");
        writer.write(ANSWER);
        assertThat(writer.keepAlive()).isTrue();
        writer.flush();
        assertThat(sent.toString()).isEqualTo(":\nid: s1\nevent: message\n" + PROGRESS + ":\nid: s1\nevent: message\n" + ANSWER);
        assertThat(answers).hasValue(1);
    }

    @Test
    void a_response_that_is_not_an_event_stream_gets_no_comment() {
        StringWriter sent = new StringWriter();
        EventStreamWriter writer = new EventStreamWriter(new PrintWriter(sent), () -> { }, () -> false);
        assertThat(writer.keepAlive()).isTrue();
        writer.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{}}");
        writer.flush();
        assertThat(sent.toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{}}");
    }

    @Test
    void a_write_that_fails_says_the_client_is_gone() {
        Writer closed = new Writer() {
            @Override
            public void write(char[] buffer, int offset, int length) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void flush() throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void close() { }
        };
        EventStreamWriter writer = new EventStreamWriter(new PrintWriter(closed), () -> { }, () -> true);
        assertThat(writer.keepAlive()).isFalse();
    }
}
