package dev.cloudrun.server.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.RunListener;
import dev.cloudrun.StreamKind;
import dev.cloudrun.server.db.RunOutput;
import dev.cloudrun.server.db.RunOutput.Chunk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the history keeps of a run's output while the run's own listener still gets everything. */
class RunOutputCaptureTest {
    private final List<String> delivered = new ArrayList<>();
    private final RunListener socket = new RunListener() {
        @Override
        public void onText(StreamKind stream, String text) {
            delivered.add(stream + ":" + text);
        }
    };

    @Test
    void keepsTheTextInArrivalOrderMergingAdjacentPiecesOfOneStream() {
        RunOutputCapture capture = new RunOutputCapture(socket, 1024);
        capture.onText(StreamKind.COMPILER, "warning\n");
        capture.onText(StreamKind.STDOUT, "a");
        capture.onText(StreamKind.STDOUT, "b\n");
        capture.onText(StreamKind.STDERR, "oops\n");
        capture.onText(StreamKind.STDOUT, "c\n");

        RunOutput output = capture.output("run-1", "alice", "p1", 5_000);

        assertThat(output.chunks()).containsExactly(new Chunk("compiler", "warning\n"), new Chunk("stdout", "ab\n"),
                new Chunk("stderr", "oops\n"), new Chunk("stdout", "c\n"));
        assertThat(output.keptBytes()).isEqualTo(18);
        assertThat(output.truncated()).isFalse();
        assertThat(output.runId()).isEqualTo("run-1");
        assertThat(delivered).containsExactly("COMPILER:warning\n", "STDOUT:a", "STDOUT:b\n", "STDERR:oops\n", "STDOUT:c\n");
    }

    @Test
    void stopsAtTheCapOnAWholeCharacterAndSaysItWasCutWhileTheListenerGetsEverything() {
        // "é" is 2 bytes and "😀" 4 in UTF-8: 9 bytes fit "ab", "é", "😀" but not the next "é".
        RunOutputCapture capture = new RunOutputCapture(socket, 9);
        capture.onText(StreamKind.STDOUT, "ab\u00e9");
        capture.onText(StreamKind.STDERR, "\ud83d\ude00\u00e9zzz");
        capture.onText(StreamKind.STDOUT, "more output that is not kept");

        RunOutput output = capture.output("run-2", "alice", null, 1);

        assertThat(output.chunks()).containsExactly(new Chunk("stdout", "ab\u00e9"), new Chunk("stderr", "\ud83d\ude00"));
        assertThat(output.keptBytes()).isEqualTo(8);
        assertThat(output.chunks().stream().mapToInt(chunk -> chunk.data().getBytes(StandardCharsets.UTF_8).length).sum())
                .isEqualTo(8);
        assertThat(output.truncated()).isTrue();
        assertThat(delivered).hasSize(3).last().isEqualTo("STDOUT:more output that is not kept");
    }

    @Test
    void aRunWithoutOutputKeepsAnEmptyList() {
        RunOutput output = new RunOutputCapture(socket, 10).output("run-3", "alice", null, 1);
        assertThat(output.chunks()).isEmpty();
        assertThat(output.truncated()).isFalse();
        assertThatThrownBy(() -> new RunOutputCapture(socket, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
