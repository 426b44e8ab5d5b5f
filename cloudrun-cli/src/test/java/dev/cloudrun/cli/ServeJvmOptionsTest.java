package dev.cloudrun.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The JVM options of {@code ./cloudrun serve} and {@code ./cloudrun mcp}: the files' format, and a real JVM that takes them. */
class ServeJvmOptionsTest {

    @Test
    void comments_and_blank_lines_are_skipped_and_the_order_is_kept() {
        assertThat(ServeJvmOptions.parse("# why\n\n-XX:+UseSerialGC\n  -Xms16m  \r\n# more\n-XX:MaxHeapFreeRatio=40"))
                .containsExactly("-XX:+UseSerialGC", "-Xms16m", "-XX:MaxHeapFreeRatio=40");
    }

    @Test
    void a_line_that_is_not_one_option_is_refused_with_its_number() {
        assertThatThrownBy(() -> ServeJvmOptions.parse("-Xms16m\n-Xss1m -Xmx1g\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2").hasMessageContaining("-Xss1m -Xmx1g");
        assertThatThrownBy(() -> ServeJvmOptions.parse("UseSerialGC\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 1");
    }

    @Test
    void the_packaged_file_is_the_one_the_launcher_reads() throws IOException {
        String source = Files.readString(Path.of("src/main/resources", ServeJvmOptions.RESOURCE));

        assertThat(ServeJvmOptions.defaults()).isEqualTo(ServeJvmOptions.parse(source)).isNotEmpty();
        assertThat(Files.readString(Path.of("../cloudrun"))).contains("cloudrun-cli/src/main/resources/" + ServeJvmOptions.RESOURCE);
    }

    @Test
    void the_packaged_mcp_file_is_the_one_the_launcher_reads_and_a_jvm_takes_it() throws IOException, InterruptedException {
        String source = Files.readString(Path.of("src/main/resources", ServeJvmOptions.MCP_RESOURCE));
        assertThat(ServeJvmOptions.mcpDefaults()).isEqualTo(ServeJvmOptions.parse(source)).isNotEmpty();
        assertThat(Files.readString(Path.of("../cloudrun")))
                .contains("MCP_OPTIONS_FILE=\"$ROOT/cloudrun-cli/src/main/resources/" + ServeJvmOptions.MCP_RESOURCE + "\"")
                .contains("serve_java_options \"$MCP_OPTIONS_FILE\"");

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ServeJvmOptions.mcpDefaults());
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(java.exitValue()).as(output).isZero();
        assertThat(output).containsPattern("intx TieredStopAtLevel\\s+= 1").containsPattern("bool UseSerialGC\\s+= true");
    }

    @Test
    void this_jvm_starts_with_them_and_they_take_effect() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ServeJvmOptions.defaults());
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(java.exitValue()).as(output).isZero();
        assertThat(output).containsPattern("bool UseSerialGC\\s+= true")
                .containsPattern("uintx MaxHeapFreeRatio\\s+= 40")
                .containsPattern("uint TrimNativeHeapInterval\\s+= 5000");
    }
}
