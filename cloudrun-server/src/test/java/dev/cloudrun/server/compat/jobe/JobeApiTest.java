package dev.cloudrun.server.compat.jobe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Jobe API end to end on a real server: the cases of Jobe's own {@code testsubmit.py} (same
 * programs, same expected outcomes and outputs), the file cache and CodeRunner's 404-then-upload
 * flow, keys, keyless mode, bad input refused with Jobe's messages, and overload as outcome 21.
 * Each backend runs it through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JobeApiTest {
    static final String RUNS = "/jobe/index.php/restapi/runs";
    static final String FILES = "/jobe/index.php/restapi/files/";

    CloudRunServer server;
    JobeClient jobe;
    String session;
    String key;

    /** @return the sandbox backend this kit's servers run on */
    abstract String backend();

    @BeforeAll
    void start(@TempDir Path dataDir) {
        server = startServer(dataDir, Map.of("CLOUDRUN_USER_CONCURRENT_RUNS", "1"));
        jobe = new JobeClient(server.port());
        session = register(jobe, "moodle");
        key = makeKey(jobe, session, List.of("run"));
    }

    @AfterAll
    void stop() {
        server.close();
    }

    CloudRunServer startServer(Path dataDir, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend());
        settings.put("CLOUDRUN_COMPAT", "jobe");
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "10000");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "10000");
        settings.putAll(extra);
        return CloudRunServer.create(ServerConfig.of(settings)).start();
    }

    static String register(JobeClient client, String name) {
        JobeClient.Response registered = client.send("POST", "/api/auth/register", null, null, Map.of("username", name,
                "email", name + "@example.com", "password", "a long moodle password"));
        assertThat(registered.status()).as(registered.text()).isEqualTo(201);
        return registered.json().path("token").asText();
    }

    static String makeKey(JobeClient client, String session, List<String> scopes) {
        JobeClient.Response made = client.send("POST", "/api/keys", null, session, Map.of("name", "moodle", "scopes", scopes));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        return made.json().path("key").asText();
    }

    static Map<String, Object> spec(String language, String source, Object... more) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("language_id", language);
        spec.put("sourcecode", source);
        for (int i = 0; i < more.length; i += 2) {
            spec.put((String) more[i], more[i + 1]);
        }
        return spec;
    }

    JsonNode runOk(Map<String, Object> spec) {
        JobeClient.Response response = jobe.run(key, spec);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.json();
    }

    static String md5(String text) throws Exception {
        byte[] digest = MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8));
        return String.format("%032x", new BigInteger(1, digest));
    }

    JobeClient.Response putFile(String apiKey, String id, String contents) {
        return jobe.send("PUT", FILES + id, apiKey, null,
                Map.of("file_contents", Base64.getEncoder().encodeToString(contents.getBytes(StandardCharsets.UTF_8))));
    }

    // ---- testsubmit.py's TEST_SET, for the languages CloudRun has ----

    static Stream<Arguments> testsubmitCases() {
        String javaTest = "\npublic class Test {\n    public static void main(String[] args) {\n"
                + "        System.out.println(\"What a lot of code I need to write.\");\n    }\n}\n";
        return Stream.of(
                Arguments.of("Valid Python3", spec("python3", "print(\"Hello world!\")\n", "sourcefilename", "test.py"),
                        15, "Hello world!\n"),
                Arguments.of("Python3 with stdin", spec("python3", "print(input())\nprint(input())\n",
                        "input", "Line1\nLine2\n", "sourcefilename", "test.py"), 15, "Line1\nLine2\n"),
                Arguments.of("Syntactically invalid Python3", spec("python3", "print(\"Hello world!\"\n",
                        "sourcefilename", "test.py"), 11, null),
                Arguments.of("Python3 runtime error", spec("python3", "data = [1, 2]\nprint(data[2])\n",
                        "sourcefilename", "test.py"), 12, null),
                Arguments.of("Python3 file I/O", spec("python3", "with open('testoutput.txt', 'w') as output:\n"
                        + "    output.write(\"One fish\\nTwo fish\\n\")\nwith open('testoutput.txt') as input:\n"
                        + "    print(input.read(), end='')\n", "sourcefilename", "test.py"), 15, "One fish\nTwo fish\n"),
                Arguments.of("Testing use of runargs args with Python3", spec("python3",
                        "\nimport sys\nfor arg in sys.argv[1:]:\n    print(arg)\n", "sourcefilename", "test.py",
                        "parameters", Map.of("runargs", List.of("Arg1", "Arg2"))), 15, "Arg1\nArg2\n"),
                Arguments.of("UTF-8 output from Python3", spec("python3", "print(\"Un rôle délétère\")\n",
                        "sourcefilename", "test.py"), 15, "Un rôle délétère\n"),
                Arguments.of("CodeRunner's file name for Python3", spec("python3", "print('tester')\n",
                        "sourcefilename", "__tester__.python3"), 15, "tester\n"),
                Arguments.of("Test good C hello world", spec("c", "#include <stdio.h>\nint main() {\n"
                        + "    printf(\"Hello world\\nIsn't this fun!\\n\");\n}\n", "sourcefilename", "prog.c"),
                        15, "Hello world\nIsn't this fun!\n"),
                Arguments.of("Test compile error C hello world", spec("c", "#include <stdio.h>\nint main() {\n"
                        + "    printf(\"Hello world\\nIsn't this fun!\\n\")\n}\n", "sourcefilename", "prog.c"), 11, null),
                Arguments.of("Test runtime error C hello world", spec("c", "#include <stdio.h>\nint main() {\n"
                        + "    printf(\"Hello world\\nIsn't this fun!\\n\");\n    char* s = NULL;\n    printf(\"%c\", *s);\n}\n",
                        "sourcefilename", "prog.c"), 12, null),
                Arguments.of("Test timelimit on C", spec("c", "#include <stdio.h>\nint main() {\n    while(1) {};\n}\n",
                        "sourcefilename", "prog.c", "parameters", Map.of("cputime", 1)), 13, null),
                Arguments.of("Test outputlimit on C", spec("c", "#include <stdio.h>\nint main() {\n"
                        + "    while(1) { printf(\"Hello\"); };\n}\n", "sourcefilename", "prog.c",
                        "parameters", Map.of("cputime", 2)), 13, null),
                Arguments.of("A C program with ASCII non-UTF-8-compatible output", spec("c", "#include <stdio.h>\n"
                        + "int main() {\n    printf(\"Hello world\\n\\01\\006\\300\\311\\n\");\n}\n", "sourcefilename", "prog.c"),
                        15, "Hello world\n\\x01\\x06\\xc0\\xc9\n"),
                Arguments.of("Syntactically valid Nodejs hello world", spec("nodejs", "console.log('Hello world!');\n",
                        "sourcefilename", "test.js", "parameters", Map.of("memorylimit", 1000000)), 15, "Hello world!\n"),
                Arguments.of("Syntactically invalid Nodejs", spec("nodejs", "s = 'Hello world!\nconsole.log(s)\n",
                        "sourcefilename", "test.js", "parameters", Map.of("memorylimit", 1000000)), 12, null),
                Arguments.of("Correct Java program", spec("java", javaTest, "sourcefilename", "Test.java",
                        "parameters", Map.of("cputime", 10)), 15, "What a lot of code I need to write.\n"),
                Arguments.of("Correct Java program without supplied sourcefilename", spec("java", javaTest,
                        "parameters", Map.of("cputime", 10)), 15, "What a lot of code I need to write.\n"),
                Arguments.of("Syntactically incorrect Java program", spec("java", "\npublic class Test {\n"
                        + "    public static void main(String[] args) {\n"
                        + "        System.out.println('What a lot of code I need to write.);\n}\n",
                        "sourcefilename", "Test.java", "parameters", Map.of("cputime", 10)), 11, null),
                Arguments.of("Java program with Unicode output", spec("java", javaTest.replace(
                        "What a lot of code I need to write.", "Un rôle délétère"), "sourcefilename", "Test.java",
                        "parameters", Map.of("cputime", 10)), 15, "Un rôle délétère\n"),
                Arguments.of("Test good C++ hello world", spec("cpp", "#include <iostream>\nusing namespace std;\n"
                        + "int main() {\n    cout << \"Hello world\\nIsn't this fun!\\n\";\n}\n", "sourcefilename", "prog.cpp"),
                        15, "Hello world\nIsn't this fun!\n"),
                Arguments.of("Test compile error C++ hello world", spec("c", "#include <iostream>\nint main() {\n"
                        + "    cout << \"Hello world\\nIsn't this fun!\\n\";\n}\n", "sourcefilename", "prog.c"), 11, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("testsubmitCases")
    void each_case_of_jobes_testsubmit_gets_jobes_outcome_and_output(String comment, Map<String, Object> spec,
                                                                     int outcome, String stdout) {
        JsonNode result = runOk(spec);

        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(outcome);
        if (stdout != null) {
            assertThat(result.path("stdout").asText()).isEqualTo(stdout);
        }
        assertThat(result.path("run_id").asText()).isNotEmpty();
        if (outcome == 11) {
            assertThat(result.path("cmpinfo").asText()).isNotEmpty();
        } else {
            assertThat(result.path("cmpinfo").asText()).isEmpty();
        }
        if (outcome == 15) {
            assertThat(result.path("stderr").asText()).isEmpty();
        }
    }

    @Test
    void cputime_above_the_default_buys_more_cpu_like_the_customised_timeout_case() {
        // testsubmit's "Python3 program with customised timeout", shortened: 6 s of CPU, more than the default 5.
        JsonNode result = runOk(spec("python3", "from time import process_time\nt = process_time()\n"
                + "while process_time() < t + 6: pass\nprint(\"Hello Python\")\n", "sourcefilename", "test.py",
                "parameters", Map.of("cputime", "9")));

        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(15);
        assertThat(result.path("stdout").asText()).isEqualTo("Hello Python\n");
    }

    @Test
    void languages_lists_jobes_ids_and_cloudruns_other_languages() {
        JobeClient.Response languages = jobe.send("GET", "/jobe/index.php/restapi/languages", key, null, null);

        assertThat(languages.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode language : languages.json()) {
            assertThat(language.size()).isEqualTo(2);
            assertThat(language.get(1).asText()).isNotEmpty();
            ids.add(language.get(0).asText());
        }
        assertThat(ids).contains("python3", "c", "cpp", "java", "nodejs", "bash")
                .doesNotContain("python", "javascript", "html");
    }

    // ---- files ----

    @Test
    void files_put_and_checked_with_head_are_laid_out_for_the_run() {
        assertThat(putFile(key, "randomid0129798", "The first file\nLine 2").status()).isEqualTo(204);
        assertThat(putFile(key, "randomid0980128", "Second file").status()).isEqualTo(204);
        assertThat(jobe.send("HEAD", FILES + "randomid0129798", key, null, null).status()).isEqualTo(204);
        assertThat(jobe.send("HEAD", FILES + "randomid0000000", key, null, null).status()).isEqualTo(404);

        JsonNode result = runOk(spec("python3", "print(open('file1').read())\nprint(open('file2').read())\n",
                "sourcefilename", "test.py",
                "file_list", List.of(List.of("randomid0129798", "file1"), List.of("randomid0980128", "file2"))));

        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(15);
        assertThat(result.path("stdout").asText()).isEqualTo("The first file\nLine 2\nSecond file\n");
    }

    @Test
    void a_run_naming_a_missing_file_gets_404_and_succeeds_once_coderunner_uploads_it() throws Exception {
        String thing = "public class Thing {\n    private String message;\n    public Thing(String message) {\n"
                + "        this.message = message;\n    }\n    public void printme() {\n"
                + "        System.out.println(message);\n    }\n}\n";
        String id = md5(thing);
        Map<String, Object> spec = spec("java", "\n// A Java program with a support class\npublic class Blah {\n"
                + "    public static void main(String[] args) {\n        Thing thing = new Thing(\"Farewell cruel world\");\n"
                + "        thing.printme();\n    }\n}\n", "file_list", List.of(List.of(id, "Thing.java")),
                "parameters", Map.of("cputime", 10));

        JobeClient.Response missing = jobe.run(key, spec);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().asText()).isEqualTo("One or more of the specified files is missing/unavailable");

        assertThat(putFile(key, id, thing).status()).isEqualTo(204);
        JsonNode result = runOk(spec);
        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(15);
        assertThat(result.path("stdout").asText()).isEqualTo("Farewell cruel world\n");
    }

    @Test
    void another_users_files_are_neither_seen_nor_replaced() {
        assertThat(putFile(key, "sharedid12345", "mine").status()).isEqualTo(204);
        String otherKey = makeKey(jobe, register(jobe, "othermoodle"), List.of("run"));

        assertThat(jobe.send("HEAD", FILES + "sharedid12345", otherKey, null, null).status()).isEqualTo(404);
        assertThat(putFile(otherKey, "sharedid12345", "theirs").status()).isEqualTo(204);
        JsonNode mine = runOk(spec("python3", "print(open('f').read())", "file_list", List.of(List.of("sharedid12345", "f"))));
        assertThat(mine.path("stdout").asText()).isEqualTo("mine\n");
    }

    @Test
    void bad_file_uploads_get_jobes_answers() {
        JobeClient.Response notBase64 = jobe.send("PUT", FILES + "abcdefgh1", key, null, Map.of("file_contents", "%%%not base64"));
        assertThat(notBase64.status()).isEqualTo(400);
        assertThat(notBase64.json().asText()).isEqualTo("put: contents of file abcdefgh1 are not valid base-64");

        JobeClient.Response noContents = jobe.send("PUT", FILES + "abcdefgh1", key, null, Map.of("contents", "aGk="));
        assertThat(noContents.status()).isEqualTo(400);
        assertThat(noContents.json().asText()).isEqualTo("put: missing file_contents parameter");

        assertThat(jobe.send("PUT", FILES + "abc.def-1", key, null, Map.of("file_contents", "aGk=")).status()).isEqualTo(404);
        assertThat(jobe.send("HEAD", FILES + "abcdefgh1", key, null, null).status()).isEqualTo(404);
    }

    // ---- bad runs: Jobe's messages, nothing runs ----

    static Stream<Arguments> badRuns() {
        return Stream.of(
                Arguments.of(Map.of("language_id", "nosuchlanguage", "sourcecode", "print(1)", "sourcefilename", "test.py"),
                        "Language 'nosuchlanguage' is not known"),
                Arguments.of(Map.of("sourcecode", "print(1)", "sourcefilename", "test.py"),
                        "run_spec is missing the required attribute 'language_id'"),
                Arguments.of(Map.of("language_id", "python3", "sourcefilename", "test.py"),
                        "run_spec is missing the required attribute 'sourcecode'"),
                Arguments.of(Map.of("language_id", "python3", "sourcecode", "print(1)", "sourcefilename", "../etc/passwd"),
                        "The sourcefilename for the run_spec is illegal"),
                Arguments.of(Map.of("language_id", "python3", "sourcecode", "print(1)", "file_list", List.of(List.of("short", "f"))),
                        "Invalid file specifier: [\"short\",\"f\"]"),
                Arguments.of(Map.of("language_id", "python3", "sourcecode", "print(1)",
                        "file_list", List.of(List.of("longenoughid", "../f"))), "Invalid file specifier: [\"longenoughid\",\"../f\"]"),
                Arguments.of(Map.of("language_id", "python3", "sourcecode", "print(1)", "parameters", Map.of("cputime", 1000)),
                        "cputime exceeds maximum allowed on this Jobe server (60 secs)"),
                Arguments.of(Map.of("language_id", "c", "sourcecode", "int main(void) { return 0; }",
                        "parameters", Map.of("compileargs", List.of("-Wall ".repeat(300)))),
                        "parameters compileargs and linkargs are not allowed: must hold at most 256 words, held 304"),
                Arguments.of(Map.of("language_id", "python3", "sourcecode", "print(1)",
                        "parameters", Map.of("interpreterargs", List.of("-X\u0000"))),
                        "parameters interpreterargs are not allowed: holds a NUL character"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badRuns")
    void bad_runs_get_400_with_jobes_message_and_nothing_runs(Map<String, Object> spec, String message) {
        int before = history().size();

        JobeClient.Response response = jobe.run(key, spec);

        assertThat(response.status()).as(response.text()).isEqualTo(400);
        assertThat(response.json().asText()).isEqualTo(message);
        assertThat(history()).hasSize(before);
    }

    @Test
    void a_body_that_is_not_a_run_spec_gets_jobes_400() {
        JobeClient.Response notJson = jobe.send("POST", RUNS, key, null, "this is not json");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().asText()).isEqualTo("Non-JSON post data received");

        JobeClient.Response noRunSpec = jobe.send("POST", RUNS, key, null, Map.of("run", Map.of()));
        assertThat(noRunSpec.status()).isEqualTo(400);
        assertThat(noRunSpec.json().asText()).isEqualTo("No run_spec attribute found in post data");
    }

    @Test
    void a_50_mb_source_is_refused_before_it_is_read_and_nothing_runs() {
        int before = history().size();
        String huge = "#".repeat(50 * 1024 * 1024);

        JobeClient.Response response = jobe.run(key, spec("python3", huge));

        assertThat(response.status()).isEqualTo(413);
        assertThat(history()).hasSize(before);
    }

    @Test
    void non_numeric_limits_take_jobes_defaults_and_unknown_keys_are_ignored() {
        JsonNode result = runOk(spec("python3", "print('defaults')", "no_such_key", 42, "debug", true,
                "parameters", Map.of("cputime", "lots", "memorylimit", "big", "streamsize", List.of(), "numprocs", 5,
                        "compileargs", List.of("-O3"), "disklimit", 1)));

        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(15);
        assertThat(result.path("stdout").asText()).isEqualTo("defaults\n");
    }

    // ---- parameters Jobe applies to its commands ----

    static final String C_WITH_A_WARNING = "#include <stdio.h>\nint main(void) {\n    int unused;\n"
            + "    printf(\"warned\\n\");\n    return 0;\n}\n";

    @Test
    void a_c_warning_is_a_compile_error_under_jobes_default_compileargs() {
        JsonNode result = runOk(spec("c", C_WITH_A_WARNING));

        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(11);
        assertThat(result.path("cmpinfo").asText()).contains("unused").contains("-Werror");
    }

    @Test
    void compileargs_replace_jobes_defaults() {
        JsonNode result = runOk(spec("c", C_WITH_A_WARNING, "parameters", Map.of("compileargs", List.of("-std=c99"))));

        assertThat(result.path("outcome").asInt()).as(result.toString()).isEqualTo(15);
        assertThat(result.path("stdout").asText()).isEqualTo("warned\n");
    }

    @Test
    void linkargs_come_after_the_source_and_an_argument_with_a_space_is_two_words() {
        String program = "#include <math.h>\n#include <stdio.h>\nint main(void) {\n    volatile double x = 2.0;\n"
                + "    printf(\"%.3f %s\\n\", sqrt(x), GREETING);\n    return 0;\n}\n";
        JsonNode linked = runOk(spec("c", program, "parameters", Map.of(
                "compileargs", List.of("-std=c99 -Wall", "-DGREETING=\"hi\""), "linkargs", List.of("-lm"))));
        JsonNode undefined = runOk(spec("c", program, "parameters", Map.of(
                "compileargs", List.of("-std=c99", "-DGREETING=\"hi\""), "linkargs", List.of("-lno_such_library"))));

        assertThat(linked.path("outcome").asInt()).as(linked.toString()).isEqualTo(15);
        assertThat(linked.path("stdout").asText()).isEqualTo("1.414 hi\n");
        assertThat(undefined.path("outcome").asInt()).as(undefined.toString()).isEqualTo(11);
        assertThat(undefined.path("cmpinfo").asText()).contains("no_such_library");
    }

    @Test
    void python_interpreterargs_o_turns_a_failed_assertion_into_success() {
        String program = "assert 1 == 2, 'checked'\nprint('assertions off')\n";
        JsonNode byDefault = runOk(spec("python3", program));
        JsonNode optimised = runOk(spec("python3", program, "parameters", Map.of("interpreterargs", List.of("-O"))));

        assertThat(byDefault.path("outcome").asInt()).as(byDefault.toString()).isEqualTo(12);
        assertThat(byDefault.path("stderr").asText()).contains("AssertionError: checked");
        assertThat(optimised.path("outcome").asInt()).as(optimised.toString()).isEqualTo(15);
        assertThat(optimised.path("stdout").asText()).isEqualTo("assertions off\n");
    }

    @Test
    void python_runs_with_jobes_default_interpreterargs_which_ignore_the_environment() {
        JsonNode result = runOk(spec("python3", "import sys\nprint(sys.flags.ignore_environment, sys.dont_write_bytecode)\n"));

        assertThat(result.path("stdout").asText()).as(result.toString()).isEqualTo("1 True\n");
    }

    @Test
    void numprocs_limits_the_programs_threads() {
        String program = "import threading\nstop = threading.Event()\nthreads = []\ntry:\n"
                + "    for i in range(20):\n        t = threading.Thread(target=stop.wait)\n        t.start()\n"
                + "        threads.append(t)\nfinally:\n    stop.set()\nprint(len(threads), 'threads')\n";
        JsonNode byDefault = runOk(spec("python3", program));
        JsonNode limited = runOk(spec("python3", program, "parameters", Map.of("numprocs", 8)));
        JsonNode clamped = runOk(spec("python3", program, "parameters", Map.of("numprocs", 1_000_000)));

        assertThat(byDefault.path("outcome").asInt()).as(byDefault.toString()).isEqualTo(15);
        assertThat(byDefault.path("stdout").asText()).isEqualTo("20 threads\n");
        assertThat(limited.path("outcome").asInt()).as(limited.toString()).isEqualTo(12);
        assertThat(limited.path("stderr").asText()).contains("can't start new thread");
        assertThat(clamped.path("outcome").asInt()).as(clamped.toString()).isEqualTo(15);
    }

    @Test
    void a_run_made_with_a_key_enters_the_users_history() {
        JsonNode result = runOk(spec("python3", "print('recorded')"));

        // The history row is finished just after the answer is sent.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(history()).anySatisfy(run -> {
            assertThat(run.path("id").asText()).isEqualTo(result.path("run_id").asText());
            assertThat(run.path("via").asText()).isEqualTo("jobe");
            assertThat(run.path("status").asText()).isEqualTo("OK");
        }));
    }

    List<JsonNode> history() {
        JobeClient.Response runs = jobe.send("GET", "/api/runs?limit=500", null, session, null);
        assertThat(runs.status()).as(runs.text()).isEqualTo(200);
        List<JsonNode> list = new ArrayList<>();
        runs.json().path("runs").forEach(list::add);
        return list;
    }

    // ---- keys ----

    @Test
    void every_endpoint_wants_a_live_key_with_scope_run() {
        String gradeOnly = makeKey(jobe, session, List.of("grade"));
        Map<String, Object> hello = Map.of("run_spec", spec("python3", "print(1)"));
        for (String[] endpoint : new String[][] {{"GET", "/jobe/index.php/restapi/languages"}, {"POST", RUNS},
                {"PUT", FILES + "abcdefgh12"}, {"HEAD", FILES + "abcdefgh12"}}) {
            Object body = endpoint[0].equals("PUT") ? Map.of("file_contents", "aGk=") : endpoint[0].equals("POST") ? hello : null;
            JobeClient.Response missing = jobe.send(endpoint[0], endpoint[1], null, null, body);
            JobeClient.Response wrong = jobe.send(endpoint[0], endpoint[1], "cr_notakey_reallynot", null, body);
            JobeClient.Response noScope = jobe.send(endpoint[0], endpoint[1], gradeOnly, null, body);

            assertThat(missing.status()).as(endpoint[1]).isEqualTo(403);
            assertThat(wrong.status()).as(endpoint[1]).isEqualTo(403);
            assertThat(noScope.status()).as(endpoint[1]).isEqualTo(403);
            if (!endpoint[0].equals("HEAD")) {
                assertThat(missing.json().asText()).isEqualTo("Missing API key");
                assertThat(wrong.json().asText()).isEqualTo("Unknown API key");
                assertThat(noScope.json().asText()).isEqualTo("This API key lacks the scope run");
            }
        }
        // A session token is not an API key.
        assertThat(jobe.send("POST", RUNS, session, null, hello).status()).isEqualTo(403);
    }

    // ---- overload ----

    @Test
    void jobes_overload_test_hook_answers_outcome_21() {
        JsonNode result = runOk(spec("python3", "!** TESTING OVERLOAD EXCEPTION **!", "sourcefilename", "test.py"));

        assertThat(result.path("outcome").asInt()).isEqualTo(21);
        assertThat(result.path("stdout").asText()).isEmpty();
    }

    @Test
    void a_user_at_their_run_quota_gets_http_200_with_outcome_21() {
        assertOverloadWhileOneRuns(jobe, key);
    }

    /** One long run holds the only slot; another run meanwhile is answered as Jobe answers overload. */
    static void assertOverloadWhileOneRuns(JobeClient client, String apiKey) {
        CompletableFuture<JobeClient.Response> sleeper = CompletableFuture.supplyAsync(() -> client.run(apiKey,
                spec("python3", "import time\ntime.sleep(8)\nprint('slept')", "parameters", Map.of("cputime", 6))));
        JsonNode[] refused = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JobeClient.Response quick = client.run(apiKey, spec("python3", "print('quick')"));
            refused[0] = quick.json();
            return quick.status() == 200 && quick.json().path("outcome").asInt() == 21 || sleeper.isDone();
        });
        assertThat(sleeper).as("the long run ended before a second run was refused").isNotDone();
        assertThat(refused[0].path("outcome").asInt()).isEqualTo(21);
        assertThat(refused[0].path("run_id").isNull()).isTrue();
        JobeClient.Response slept = sleeper.join();
        assertThat(slept.json().path("outcome").asInt()).as(slept.text()).isEqualTo(15);
    }

    // ---- keyless mode ----

    @Test
    void without_required_keys_runs_need_none_and_the_per_address_limits_still_apply(@TempDir Path dataDir) {
        try (CloudRunServer keyless = startServer(dataDir, Map.of("CLOUDRUN_JOBE_REQUIRE_KEY", "false",
                "CLOUDRUN_IP_CONCURRENT_RUNS", "1"))) {
            JobeClient client = new JobeClient(keyless.port());
            assertThat(client.send("PUT", FILES + "keylessfile1", null, null,
                    Map.of("file_contents", Base64.getEncoder().encodeToString("data".getBytes(StandardCharsets.UTF_8))))
                    .status()).isEqualTo(204);

            JobeClient.Response response = client.run(null, spec("python3", "print(open('d').read())",
                    "file_list", List.of(List.of("keylessfile1", "d"))));

            assertThat(response.status()).as(response.text()).isEqualTo(200);
            assertThat(response.json().path("outcome").asInt()).isEqualTo(15);
            assertThat(response.json().path("stdout").asText()).isEqualTo("data\n");
            // A wrong key is still refused: it is not the same as no key.
            assertThat(client.run("cr_wrong_key", spec("python3", "print(1)")).status()).isEqualTo(403);
            assertOverloadWhileOneRuns(client, null);
        }
    }

    @Test
    void the_api_is_off_unless_cloudrun_compat_names_it(@TempDir Path dataDir) {
        try (CloudRunServer plain = startServer(dataDir, Map.of("CLOUDRUN_COMPAT", ""))) {
            JobeClient client = new JobeClient(plain.port());
            assertThat(client.send("GET", "/jobe/index.php/restapi/languages", key, null, null).status()).isEqualTo(404);
        }
    }
}
