package dev.cloudrun.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The docs list exactly the declared settings, each with the default and the doc line of its
 * declaration; on a mismatch the failure prints the rows to paste.
 */
class SettingsDocTest {
    private static final Path SERVER_DOC = Path.of("../docs/server.md");
    private static final Path AI_DOC = Path.of("../docs/ai.md");
    /** A setting's name as the docs write it: {@code CLOUDRUN_*}, the provider keys and {@code DATABASE_URL}. */
    private static final Pattern NAME = Pattern.compile("\\b(?:CLOUDRUN|GROQ|GEMINI)_[A-Z0-9_]*[A-Z0-9]\\b|\\bDATABASE_URL\\b");
    private static final Pattern ROW_NAME = Pattern.compile("^\\| `([A-Z][A-Z0-9_]+)` \\|");
    /** Variables the docs may name that are not server settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("CLOUDRUN_TEST_POSTGRES_URL", "CLOUDRUN_JAVA_OPTS");

    @Test
    void the_server_docs_table_lists_every_setting_and_no_other() throws IOException {
        Map<String, String> rows = settingRows(Files.readString(SERVER_DOC));
        Set<String> declared = Settings.all().stream().map(Setting::name).collect(Collectors.toCollection(LinkedHashSet::new));

        Set<String> missing = new TreeSet<>(declared);
        missing.removeAll(rows.keySet());
        Set<String> unknown = new TreeSet<>(rows.keySet());
        unknown.removeAll(declared);
        assertThat(missing).as("settings missing from docs/server.md; its table should read:%n%s", expectedTable()).isEmpty();
        assertThat(unknown).as("docs/server.md lists settings that are not declared in Settings").isEmpty();
        assertThat(new ArrayList<>(rows.keySet())).as("docs/server.md lists the settings in the order of Settings")
                .containsExactlyElementsOf(declared);
    }

    @Test
    void every_documented_row_is_its_declaration() throws IOException {
        for (Path doc : List.of(SERVER_DOC, AI_DOC)) {
            settingRows(Files.readString(doc)).forEach((name, row) -> {
                Setting<?> setting = Settings.named(name).orElseThrow(() -> new AssertionError(doc + " documents " + name
                        + ", which is not a setting"));
                assertThat(row).as("%s: the row of %s should match its declaration; the table should read:%n%s", doc, name,
                        expectedTable()).isEqualTo(row(setting));
            });
        }
    }

    @Test
    void the_docs_name_no_setting_that_does_not_exist() throws IOException {
        for (Path doc : List.of(SERVER_DOC, AI_DOC, Path.of("../README.md"))) {
            Matcher names = NAME.matcher(Files.readString(doc));
            Set<String> unknown = new TreeSet<>();
            while (names.find()) {
                if (Settings.named(names.group()).isEmpty() && !NOT_SETTINGS.contains(names.group())) {
                    unknown.add(names.group());
                }
            }
            assertThat(unknown).as("%s names settings that are not declared", doc).isEmpty();
        }
    }

    @Test
    void every_setting_has_one_declaration_whose_default_it_accepts_and_whose_refusals_name_it() {
        assertThat(Settings.all()).extracting(Setting::name).doesNotHaveDuplicates();
        for (Setting<?> setting : Settings.all()) {
            assertThat(setting.description()).as(setting.name()).isNotBlank().doesNotContain("|", "\n");
            setting.parse(setting.defaultText());
            for (String bad : List.of("yes", "-1", "99999999999999999999", "not a value")) {
                try {
                    setting.parse(bad);
                } catch (ServerConfigException e) {
                    assertThat(e.getMessage()).startsWith(setting.name() + " ").contains(bad);
                }
            }
        }
    }

    private static Map<String, String> settingRows(String markdown) {
        return markdown.lines()
                .filter(line -> ROW_NAME.matcher(line).find())
                .collect(Collectors.toMap(line -> rowName(line), Function.identity(), (first, second) -> {
                    throw new AssertionError("listed twice: " + first);
                }, java.util.LinkedHashMap::new));
    }

    private static String rowName(String line) {
        Matcher matcher = ROW_NAME.matcher(line);
        matcher.find();
        return matcher.group(1);
    }

    private static String row(Setting<?> setting) {
        return "| `" + setting.name() + "` | " + setting.shownDefault() + " | " + setting.description() + " |";
    }

    private static String expectedTable() {
        return "| Setting | Default | Meaning |\n|---|---|---|\n"
                + Settings.all().stream().map(SettingsDocTest::row).collect(Collectors.joining("\n"));
    }
}
