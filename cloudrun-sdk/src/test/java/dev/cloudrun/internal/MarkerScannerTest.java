package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The end-of-cell marker scanner against streams cut into chunks at every place. */
class MarkerScannerTest {
    private static final String NONCE = "0123456789abcdef0123456789abcdef";
    private static final String MARK = "\0cloudrun-" + NONCE + "|";

    /** What a scanner told, in order: output as text, markers as {@code [seq:payload]}. */
    private static final class Told implements MarkerScanner.Receiver {
        final ByteArrayOutputStream stream = new ByteArrayOutputStream();
        final List<String> broken = new ArrayList<>();

        @Override
        public void output(byte[] data) {
            assertThat(data).isNotEmpty();
            stream.writeBytes(data);
        }

        @Override
        public void marker(long seq, byte[] payload) {
            stream.writeBytes(("[" + seq + ":" + new String(payload, StandardCharsets.UTF_8) + "]").getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void broken(String why) {
            broken.add(why);
        }

        String text() {
            return stream.toString(StandardCharsets.UTF_8);
        }
    }

    private static Told scan(String text, int... cuts) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Told told = new Told();
        MarkerScanner scanner = new MarkerScanner(NONCE, told);
        int from = 0;
        for (int cut : cuts) {
            scanner.feed(java.util.Arrays.copyOfRange(bytes, from, cut));
            from = cut;
        }
        scanner.feed(java.util.Arrays.copyOfRange(bytes, from, bytes.length));
        scanner.finish();
        return told;
    }

    @Test
    void findsMarkersAnywhereWhereverTheChunksAreCut() {
        String stream = "no new line" + MARK + "1 5\n{\"a\"}next\n\0cloud" + MARK + "2 0\n" + "tail\0cloudrun-";
        String expected = "no new line[1:{\"a\"}]next\n\0cloud[2:]tail\0cloudrun-";
        int length = stream.getBytes(StandardCharsets.UTF_8).length;
        for (int first = 0; first <= length; first++) {
            assertThat(scan(stream, first).text()).as("cut at %d", first).isEqualTo(expected);
            for (int second = first; second <= length; second += 7) {
                assertThat(scan(stream, first, second).text()).as("cut at %d and %d", first, second).isEqualTo(expected);
            }
        }
    }

    @Test
    void aMarkerWithAnotherNonceIsOutput() {
        String other = "\0cloudrun-ffffffffffffffffffffffffffffffff|1 0\n";
        assertThat(scan(other + "x").text()).isEqualTo(other + "x");
        assertThat(scan("\0\0" + MARK + "3 0\n").text()).isEqualTo("\0\0[3:]");
    }

    @Test
    void aBrokenHeaderStopsScanningAndTheRestIsOutput() {
        Told words = scan(MARK + "one two\n" + MARK + "1 0\n");
        assertThat(words.broken).singleElement().asString().contains("not two numbers");
        assertThat(words.text()).isEqualTo(MARK + "1 0\n");

        Told endless = scan(MARK + "1".repeat(MarkerScanner.MAX_HEADER_BYTES + 5));
        assertThat(endless.broken).singleElement().asString().contains("longer than");

        Told huge = scan(MARK + "1 " + (MarkerScanner.MAX_PAYLOAD_BYTES + 1) + "\nxyz");
        assertThat(huge.broken).singleElement().asString().contains("over the cap");
        assertThat(huge.text()).isEqualTo("xyz");
    }

    @Test
    void aNonceMustBeLettersAndDigits() {
        assertThatThrownBy(() -> new MarkerScanner("a|b", new Told())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MarkerScanner("short", new Told())).isInstanceOf(IllegalArgumentException.class);
    }
}
