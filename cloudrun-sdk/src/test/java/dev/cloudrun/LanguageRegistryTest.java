package dev.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.ByteArrayInputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LanguageRegistryTest {
    private final LanguageRegistry registry = LanguageRegistry.loadDefault();

    @Test
    void builtInLanguagesAnswerToTheirAliases() {
        assertThat(registry.require("py").id()).isEqualTo("python");
        assertThat(registry.require("Node").id()).isEqualTo("javascript");
        assertThat(registry.require("c++").id()).isEqualTo("cpp");
        assertThat(registry.require("sh").id()).isEqualTo("bash");
        assertThat(registry.require("java").isCompiled()).isTrue();
        assertThat(registry.require("html").previewOnly()).isTrue();
        assertThat(registry.all()).extracting(Language::id)
                .containsExactly("python", "javascript", "java", "cpp", "c", "bash", "html");
    }

    @Test
    void javaMainFileIsNamedAfterThePublicClass() {
        Language java = registry.require("java");
        assertThat(java.mainFileFor("import x;\n\npublic final class Foo {\n}")).isEqualTo("Foo.java");
        assertThat(java.mainFileFor("// public class Commented is not first\npublic class Real {}")).isEqualTo("Real.java");
        assertThat(java.mainFileFor("class Hidden {}")).isEqualTo("Main.java");
        assertThat(registry.require("python").mainFileFor("public class X")).isEqualTo("main.py");
    }

    @Test
    void fileExtensionsPickTheLanguage() {
        assertThat(registry.forFileName("game.PY")).map(Language::id).contains("python");
        assertThat(registry.forFileName("a.cc")).map(Language::id).contains("cpp");
        assertThat(registry.forFileName("notes.txt")).isEmpty();
    }

    @Test
    void applicationsAddAndOverrideLanguagesWithADescriptorFile(@TempDir Path dir) throws Exception {
        Path descriptor = dir.resolve("META-INF/cloudrun/languages.json");
        Files.createDirectories(descriptor.getParent());
        Files.writeString(descriptor, "[{\"id\": \"python\", \"sourceFile\": \"app.py\", \"run\": [\"python3\", \"-X\", \"utf8\", \"{file}\"]},"
                + " {\"id\": \"lua\", \"aliases\": [\"lua5.4\"], \"sourceFile\": \"main.lua\", \"run\": [\"lua\", \"{file}\"]}]");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            LanguageRegistry extended = LanguageRegistry.loadDefault(loader);

            assertThat(extended.require("lua5.4").runCommand()).containsExactly("lua", "{file}");
            assertThat(extended.require("python").sourceFile()).isEqualTo("app.py");
            assertThat(extended.require("javascript").id()).isEqualTo("javascript");
        }
    }

    @Test
    void descriptorKeysTheSdkDoesNotUseAreKeptAsAttributes() {
        Language bash = registry.require("bash");
        assertThat(bash.attribute("monacoLanguage")).hasValue("shell");
        assertThat(bash.attribute("template")).hasValueSatisfying(template -> assertThat(template).contains("read -r"));
        assertThat(bash.attributes()).doesNotContainKeys("id", "run", "extensions", "packages", "previewOnly");

        List<Language> parsed = LanguageRegistry.parse(new ByteArrayInputStream(("[{\"id\": \"lua\", \"sourceFile\": \"main.lua\","
                + " \"run\": [\"lua\", \"{file}\"], \"zeta\": \"z\", \"monacoLanguage\": \"lua\", \"tabSize\": 2, \"beta\": true,"
                + " \"nested\": {\"a\": 1}, \"list\": [1], \"gone\": null}]").getBytes(StandardCharsets.UTF_8)), "a.json");
        Language lua = parsed.get(0);
        assertThat(lua.attributes()).containsExactly(entry("zeta", "z"), entry("monacoLanguage", "lua"), entry("tabSize", "2"),
                entry("beta", "true"));
        assertThat(lua.attribute("template")).isEmpty();
        assertThatThrownBy(() -> lua.attributes().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);

        Language.Builder builder = Language.builder("ruby").sourceFile("main.rb").runCommand(List.of("ruby", "{file}"))
                .attribute("monacoLanguage", "ruby").attribute("template", "puts 1\n");
        Language ruby = builder.build();
        builder.attribute("template", null).attribute("extra", "later");
        assertThat(ruby.attributes()).containsExactly(entry("monacoLanguage", "ruby"), entry("template", "puts 1\n"));
        assertThat(builder.build().attributes()).containsExactly(entry("monacoLanguage", "ruby"), entry("extra", "later"));
    }

    @Test
    void invalidDescriptorsFailWithTheirOrigin() {
        assertThatThrownBy(() -> LanguageRegistry.parse(new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8)), "x.json"))
                .isInstanceOf(CloudRunException.class).hasMessageContaining("x.json").hasMessageContaining("array");
        assertThatThrownBy(() -> LanguageRegistry.parse(new ByteArrayInputStream(
                "[{\"id\": \"Bad Id\", \"sourceFile\": \"a\", \"run\": [\"a\"]}]".getBytes(StandardCharsets.UTF_8)), "y.json"))
                .isInstanceOf(CloudRunException.class).hasMessageContaining("y.json");
        assertThatThrownBy(() -> LanguageRegistry.parse(new ByteArrayInputStream(
                "[{\"id\": \"norun\", \"sourceFile\": \"a\"}]".getBytes(StandardCharsets.UTF_8)), "z.json"))
                .isInstanceOf(CloudRunException.class).hasMessageContaining("run command");
    }

    @Test
    void unknownLanguageListsTheKnownOnes() {
        assertThatThrownBy(() -> registry.require("cobol"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("language");
                    assertThat(e.getMessage()).contains("bash, c, cpp, java, javascript, python");
                });
        assertThat(LanguageRegistry.of(List.of()).find("python")).isEmpty();
    }
}
