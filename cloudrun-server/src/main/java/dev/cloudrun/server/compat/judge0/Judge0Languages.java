package dev.cloudrun.server.compat.judge0;

import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Judge0 CE's language ids for the runtimes CloudRun has: 1.13's ids (db/languages/active.rb) and the
 * newer ids Judge0 CE lists for the same languages. Each runs on CloudRun's one runtime of that language;
 * the names stay Judge0's, so that clients that pick a language by its name find it.
 */
final class Judge0Languages {

    /**
     * One Judge0 language.
     *
     * @param id Judge0's id
     * @param name Judge0's name
     * @param cloudRunId CloudRun's language
     * @param sourceFile Judge0's source file name
     * @param compileCmd Judge0's compile command, or null
     * @param runCmd Judge0's run command
     */
    record Entry(int id, String name, String cloudRunId, String sourceFile, String compileCmd, String runCmd) {
        Map<String, Object> brief() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("name", name);
            return body;
        }

        Map<String, Object> listed() {
            Map<String, Object> body = brief();
            body.put("is_archived", false);
            return body;
        }

        Map<String, Object> full() {
            Map<String, Object> body = brief();
            body.put("is_archived", false);
            body.put("source_file", sourceFile);
            body.put("compile_cmd", compileCmd);
            body.put("run_cmd", runCmd);
            return body;
        }
    }

    private static final List<Entry> KNOWN = List.of(
            new Entry(46, "Bash (5.0.0)", "bash", "script.sh", null, "/usr/local/bin/bash script.sh"),
            new Entry(48, "C (GCC 7.4.0)", "c", "main.c", "/usr/local/gcc-7.4.0/bin/gcc %s main.c", "./a.out"),
            new Entry(49, "C (GCC 8.3.0)", "c", "main.c", "/usr/local/gcc-8.3.0/bin/gcc %s main.c", "./a.out"),
            new Entry(50, "C (GCC 9.2.0)", "c", "main.c", "/usr/local/gcc-9.2.0/bin/gcc %s main.c", "./a.out"),
            new Entry(52, "C++ (GCC 7.4.0)", "cpp", "main.cpp", "/usr/local/gcc-7.4.0/bin/g++ %s main.cpp", "LD_LIBRARY_PATH=/usr/local/gcc-7.4.0/lib64 ./a.out"),
            new Entry(53, "C++ (GCC 8.3.0)", "cpp", "main.cpp", "/usr/local/gcc-8.3.0/bin/g++ %s main.cpp", "LD_LIBRARY_PATH=/usr/local/gcc-8.3.0/lib64 ./a.out"),
            new Entry(54, "C++ (GCC 9.2.0)", "cpp", "main.cpp", "/usr/local/gcc-9.2.0/bin/g++ %s main.cpp", "LD_LIBRARY_PATH=/usr/local/gcc-9.2.0/lib64 ./a.out"),
            new Entry(62, "Java (OpenJDK 13.0.1)", "java", "Main.java", "/usr/local/openjdk13/bin/javac %s Main.java", "/usr/local/openjdk13/bin/java Main"),
            new Entry(63, "JavaScript (Node.js 12.14.0)", "javascript", "script.js", null, "/usr/local/node-12.14.0/bin/node script.js"),
            new Entry(71, "Python (3.8.1)", "python", "script.py", null, "/usr/local/python-3.8.1/bin/python3 script.py"),
            new Entry(91, "Java (JDK 17.0.6)", "java", "Main.java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/javac %s Main.java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java Main"),
            new Entry(92, "Python (3.11.2)", "python", "script.py", null, "/usr/local/python-3.11.2/bin/python3 script.py"),
            new Entry(93, "JavaScript (Node.js 18.15.0)", "javascript", "script.js", null, "/usr/local/node-18.15.0/bin/node script.js"),
            new Entry(100, "Python (3.12.5)", "python", "script.py", null, "/usr/local/python-3.12.5/bin/python3 script.py"),
            new Entry(102, "JavaScript (Node.js 22.08.0)", "javascript", "script.js", null, "/usr/local/node-22.08.0/bin/node script.js"),
            new Entry(103, "C (GCC 14.1.0)", "c", "main.c", "/usr/local/gcc-14.1.0/bin/gcc %s main.c", "./a.out"),
            new Entry(105, "C++ (GCC 14.1.0)", "cpp", "main.cpp", "/usr/local/gcc-14.1.0/bin/g++ %s main.cpp", "LD_LIBRARY_PATH=/usr/local/gcc-14.1.0/lib64 ./a.out"));

    private final Map<Integer, Entry> byId = new LinkedHashMap<>();
    private final Map<String, Language> languages = new LinkedHashMap<>();

    /** @param registry CloudRun's languages; Judge0 ids of a language it lacks are left out */
    Judge0Languages(LanguageRegistry registry) {
        for (Entry entry : KNOWN) {
            Optional<Language> language = registry.find(entry.cloudRunId());
            if (language.isPresent()) {
                byId.put(entry.id(), entry);
                languages.put(entry.cloudRunId(), language.get());
            }
        }
    }

    Optional<Entry> find(int id) {
        return Optional.ofNullable(byId.get(id));
    }

    Language language(Entry entry) {
        return languages.get(entry.cloudRunId());
    }

    /** @return Judge0's {@code GET /languages}: active languages, by name */
    List<Map<String, Object>> list() {
        List<Entry> sorted = new ArrayList<>(byId.values());
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        return sorted.stream().map(Entry::brief).toList();
    }

    /** @return Judge0's {@code GET /languages/all}: every language, archived ones too (none here), by name, with {@code is_archived} */
    List<Map<String, Object>> all() {
        List<Entry> sorted = new ArrayList<>(byId.values());
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        return sorted.stream().map(Entry::listed).toList();
    }
}
