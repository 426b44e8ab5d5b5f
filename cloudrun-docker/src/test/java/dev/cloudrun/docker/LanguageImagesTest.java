package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * languages.json and the image definitions under {@code images/} name the same tags, and the built
 * images (a running daemon and {@code images/build.sh} needed) have sound system files.
 */
class LanguageImagesTest {
    private static final Path IMAGES = Path.of("..", "images");

    @Test
    void everyLanguageImageHasADefinitionAndEveryDefinitionIsUsed() throws IOException {
        Set<String> used = new TreeSet<>();
        for (Language language : LanguageRegistry.loadDefault().all()) {
            language.image().ifPresent(used::add);
        }
        Set<String> defined = new TreeSet<>();
        try (Stream<Path> folders = Files.list(IMAGES)) {
            for (Path folder : folders.filter(Files::isDirectory).toList()) {
                Path tag = folder.resolve("tag");
                assertThat(tag).as("tag file of " + folder).exists();
                assertThat(folder.resolve("packages")).exists();
                assertThat(folder.resolve("Dockerfile.upstream")).exists();
                defined.add(Files.readString(tag).trim());
            }
        }

        assertThat(defined).isEqualTo(used);
    }

    /** {@code /etc/shadow} is 0640 root:shadow in every language image, as on a Debian system. */
    @Test
    void shadowIsNotWorldReadableInAnyImage() throws Exception {
        Map<String, String> modes = new LinkedHashMap<>();
        try (DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions())) {
            Map<String, Language> byImage = new LinkedHashMap<>();
            for (Language language : LanguageRegistry.loadDefault().all()) {
                language.image().ifPresent(image -> byImage.putIfAbsent(image, language));
            }
            for (Map.Entry<String, Language> entry : byImage.entrySet()) {
                modes.put(entry.getKey(), stat(backend, entry.getValue(), "/etc/shadow"));
            }
        }

        assertThat(modes).isNotEmpty().allSatisfy((image, mode) -> assertThat(mode).as(image).isEqualTo("640 root:shadow\n"));
    }

    /** Runs {@code stat} in a sandbox of the language's image; returns its output. */
    private static String stat(DockerSandboxBackend backend, Language language, String path) throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        SandboxSpec spec = new SandboxSpec("images-test-" + System.nanoTime(), language, Map.of(), 1024 * 1024);
        try (Sandbox sandbox = backend.open(spec)) {
            StepSpec step = new StepSpec(StepSpec.Kind.RUN, List.of("stat", "-c", "%a %U:%G", path), Map.of(),
                    Limits.defaults().withWallTime(Duration.ofSeconds(30)), false);
            SandboxProcess process = sandbox.start(step, (stream, buffer, offset, length) -> {
                synchronized (output) {
                    output.write(buffer, offset, length);
                }
            });
            process.stdin().close();
            assertThat(process.await(Duration.ofSeconds(60))).isPresent();
        }
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }
}
