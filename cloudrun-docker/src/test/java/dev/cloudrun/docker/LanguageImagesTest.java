package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** languages.json and the image definitions under {@code images/} name the same tags. */
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
}
