package dev.cloudrun.server.languages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The IDE's view of a language: Monaco id and starter program from the descriptor, with their defaults. */
class IdeLanguageTest {

    @Test
    void the_descriptor_names_the_editor_language_and_the_starter_program() {
        IdeLanguage python = new IdeLanguage(LanguageRegistry.loadDefault().require("python"));
        assertThat(python.monacoLanguage()).isEqualTo("python");
        assertThat(python.template()).contains("What is your name?");
        assertThat(python.toJson()).containsEntry("monacoLanguage", "python").containsEntry("sourceFile", "main.py")
                .containsEntry("compiled", false).containsEntry("previewOnly", false);
    }

    @Test
    void without_them_the_editor_language_is_the_id_and_the_program_is_empty() {
        Language lua = Language.builder("lua").sourceFile("main.lua").runCommand(List.of("lua", "{file}")).build();
        IdeLanguage ide = new IdeLanguage(lua);
        assertThat(ide.monacoLanguage()).isEqualTo("lua");
        assertThat(ide.template()).isEmpty();
        assertThat(ide.toJson()).containsKeys("id", "displayName", "aliases", "extensions", "sourceFile", "compiled",
                "monacoLanguage", "previewOnly", "template");
    }
}
