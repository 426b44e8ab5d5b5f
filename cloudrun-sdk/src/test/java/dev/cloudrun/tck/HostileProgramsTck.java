package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.spi.SandboxBackend;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Programs written to harm the host, run on a backend: each must end with the right status, leave
 * nothing behind (the kit checks {@link #leftovers(SandboxBackend)} after every test) and leave the
 * host healthy (a plain run right after it succeeds). Subclass it per backend like
 * {@link SandboxBackendTck}.
 *
 * <p>Hostile programs that {@link SandboxBackendTck} already holds every backend to are not
 * repeated here: the fork bomb ({@code forkBombIsContainedAndTheHostUnharmed},
 * {@code processLimitMakesForkFail}), a Python list of chunks past the memory limit
 * ({@code allocatingOneGibibyteUnder128MibHitsTheMemoryLimit}), a busy loop
 * ({@code infiniteLoopHitsTheTimeLimit}), a sleeping and a SIGSTOP'd program
 * ({@code sleepingProgramHitsTheWallClockLimit}, {@code stoppedProgramStillHitsTheWallClockLimit}),
 * an endless printer ({@code outputLimitStopsAnEndlessPrinterSoonAfterTheCap}), the workspace
 * filled file after file ({@code manySmallFilesCannotFillTheDisk}), a big file
 * ({@code fileSizeLimitStopsABigWrite}), a service on this host's loopback with network off
 * ({@code networkIsBlockedWhenOff}), new namespaces, mount, BPF and the keyring
 * ({@code dangerousSystemCallsAreRefused}) and ptrace ({@code ptraceOfPidOneAndOfChildrenIsRefused}).
 *
 * <p>Limits are small (a second of CPU or, for idle programs, of wall time; 64 MiB) so that the
 * suite stays quick on slow runtimes (Docker with gVisor).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class HostileProgramsTck {
    private static final long MIB = 1024L * 1024L;
    /** Variables a sandbox has whatever the host's environment (set by CloudRun, the shell or Docker). */
    private static final Set<String> SANDBOX_VARIABLES = Set.of("PATH", "HOME", "LANG", "TMPDIR", "HOSTNAME", "PWD",
            "SHLVL", "_", "OLDPWD");

    /** A variable the build puts in the test JVM's environment (see the parent pom's Surefire settings). */
    private static final String HOST_SECRET_VARIABLE = "CLOUDRUN_TCK_HOST_SECRET";

    private SandboxBackend backend;
    /** The runner under test. */
    protected CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now, on the host too (processes of the
     *     sandbox's user, containers, ...); empty when clean
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    /**
     * How many times the kit's CPU-time limit of 1 s this backend's programs get (default 1). Raise
     * it for a runtime that counts its own work on the program's behalf as the program's CPU time:
     * gVisor's ptrace platform stops and resumes the program at every system call, so a shell script
     * that starts many small processes costs several times what it costs on the host's kernel.
     * Limits that a test sets itself are not scaled.
     *
     * @return a factor of at least 1
     */
    protected double cpuTimeAllowance() {
        return 1.0;
    }

    /**
     * Bytes added to the kit's memory limit of 64 MiB for this backend (default 0). Raise it for a
     * runtime whose own kernel lives in the container's memory limit: gVisor's Sentry and Gofer take
     * tens of MiB of it, so a program that holds 48 MiB before it writes (the giant write) would hit
     * the memory limit before the output limit. Limits that a test sets itself are not changed.
     *
     * @return bytes, at least 0
     */
    protected long memoryAllowanceBytes() {
        return 0;
    }

    /**
     * The file-system types {@code /work} may show (default {@code tmpfs}). A runtime that shows the
     * host's capped tmpfs through a file proxy of its own names the proxy's type (gVisor: {@code v9fs},
     * its Gofer). The kit also fills {@code /work} until {@code ENOSPC}, so an uncapped host folder
     * fails whatever type it shows.
     *
     * @return the accepted types, as {@code stat -f -c %T} prints them
     */
    protected Set<String> expectedWorkFileSystemTypes() {
        return Set.of("tmpfs");
    }

    @BeforeAll
    void startRunner() {
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(4));
    }

    @AfterEach
    void hostStaysHealthyAndNothingIsLeftBehind() {
        RunResult after = runner.run(RunRequest.of("python", "print('still fine')"));
        assertThat(after.status()).as("a plain run after the hostile one: " + after.message()).isEqualTo(Status.OK);
        assertThat(after.stdout()).isEqualTo("still fine\n");
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @AfterAll
    void closeRunnerAndCheckThreads() {
        runner.close();
        LeakChecks.assertNoCloudRunThreads();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    /**
     * Runs a program with small limits changed as given: 1 s of CPU (times {@link #cpuTimeAllowance()})
     * and 64 MiB (plus {@link #memoryAllowanceBytes()}), and 10 s of wall time, which only idle programs reach (they set 1 s) and which
     * leaves room on a loaded machine.
     */
    private RunResult run(String language, String source, UnaryOperator<Limits> limits) {
        return runner.run(RunRequest.of(language, source).withLimits(base -> limits.apply(base
                .withWallTime(Duration.ofSeconds(10)).withCpuTime(defaultCpuTime())
                .withMemoryBytes(64 * MIB + Math.max(0, memoryAllowanceBytes())))));
    }

    /** @return the CPU-time limit of {@link #run} unless a test sets its own */
    private Duration defaultCpuTime() {
        return Duration.ofMillis(Math.round(1000 * Math.max(1.0, cpuTimeAllowance())));
    }

    private static String explain(RunResult result) {
        return result.status() + ": " + result.message() + "\n" + result.stdout() + result.stderr() + result.compilerOutput();
    }

    // ---------------------------------------------------------------- processes and threads

    @Test
    void threadBombStopsAtTheProcessLimit() {
        String program = """
                #include <pthread.h>
                #include <stdio.h>
                #include <unistd.h>
                static void *sleeper(void *unused) { pause(); return unused; }
                int main(void) {
                    int threads = 0;
                    pthread_t thread;
                    while (threads < 100000 && pthread_create(&thread, NULL, sleeper, NULL) == 0) threads++;
                    printf("threads stopped at %d\\n", threads);
                    return 0;
                }
                """;
        RunResult result = run("c", program, limits -> limits.withMaxProcesses(32));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        assertThat(result.stdout()).startsWith("threads stopped at ");
        assertThat(Integer.parseInt(result.stdout().strip().replace("threads stopped at ", ""))).isLessThan(32);
    }

    @Test
    void daemonsAndOrphansDoNotOutliveTheRun() {
        String program = """
                setsid nohup sleep 1000 >/dev/null 2>&1 &
                ( sleep 1000 & ) >/dev/null 2>&1
                ( ( exec -a orphan-with-stdout sleep 1000 & ) & )
                python3 -c 'import os, time
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        time.sleep(1000)
                    os._exit(0)
                ' >/dev/null 2>&1
                echo started
                """;
        long start = System.nanoTime();
        RunResult result = run("bash", program, limits -> limits.withWallTime(Duration.ofSeconds(10)));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("started\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the run ends when its program does, daemons or not")
                .isLessThan(Duration.ofSeconds(8));
        // The leak check after the test proves that no sleep survived, on the host too.
    }

    @Test
    void killingEveryProcessItCanSeeHarmsNothingOutside() {
        RunResult result = run("bash", "sleep 30 &\nkill -9 -1\necho after", limits -> limits);

        assertThat(result.status()).as(explain(result)).isIn(Status.OK, Status.RUNTIME_ERROR);
    }

    // ---------------------------------------------------------------- memory

    static Stream<Arguments> memoryHogs() {
        return Stream.of(
                Arguments.of("C malloc and touch", "c", """
                        #include <stdlib.h>
                        #include <string.h>
                        #include <stdio.h>
                        int main(void) {
                            for (int mib = 0; mib < 4096; mib++) {
                                char *block = malloc(1 << 20);
                                if (block == NULL) { puts("malloc failed"); return 1; }
                                memset(block, 1, 1 << 20);
                            }
                            puts("allocated 4 GiB");
                            return 0;
                        }
                        """),
                Arguments.of("mmap", "c", """
                        #define _GNU_SOURCE
                        #include <stdio.h>
                        #include <sys/mman.h>
                        int main(void) {
                            size_t size = (size_t) 4 << 30;
                            char *area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                            if (area == MAP_FAILED) { puts("mmap failed"); return 1; }
                            for (size_t offset = 0; offset < size; offset += 4096) area[offset] = 1;
                            puts("touched 4 GiB");
                            return 0;
                        }
                        """),
                Arguments.of("Python list", "python", "blocks = []\nwhile True:\n    blocks.append([0] * (1 << 20))\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("memoryHogs")
    void memoryHogsHitTheMemoryLimit(String name, String language, String program) {
        RunResult result = run(language, program, limits -> limits.withWallTime(Duration.ofSeconds(10))
                .withCpuTime(Duration.ofSeconds(10)));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(result.stdout()).doesNotContain("allocated", "touched");
    }

    /** Pages of a tmpfs count against the run's memory: filling one ends in ENOSPC or the memory limit. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("tmpfsFolders")
    void filledTmpfsPagesCountAsTheRunsMemory(String folder) {
        RunResult result = run("bash", "dd if=/dev/zero of=" + folder + "/fill bs=1M count=4096 2>&1 | grep -o 'No space left on device'\n"
                + "echo finished", limits -> limits.withWallTime(Duration.ofSeconds(10)).withCpuTime(Duration.ofSeconds(10))
                .withMaxFileSizeBytes(1024 * MIB));

        assertThat(result.status() == Status.MEMORY_LIMIT
                || result.status() == Status.OK && result.stdout().startsWith("No space left on device"))
                .as(explain(result)).isTrue();
    }

    static Stream<String> tmpfsFolders() {
        return Stream.of("/dev/shm", "/tmp", "/work");
    }

    @Test
    void jvmWithAHeapAboveTheLimitHitsTheMemoryLimit() {
        RunResult result = runner.run(RunRequest.of("java", JAVA_HOG).withEnv("JAVA_TOOL_OPTIONS", "-Xmx2g")
                .withLimits(limits -> limits.withMemoryBytes(192 * MIB).withWallTime(Duration.ofSeconds(20))));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.MEMORY_LIMIT);
    }

    @Test
    void jvmWithItsDefaultHeapRunsOutOfHeapOrMemory() {
        RunResult result = runner.run(RunRequest.of("java", JAVA_HOG)
                .withLimits(limits -> limits.withMemoryBytes(192 * MIB).withWallTime(Duration.ofSeconds(20))));

        assertThat(result.status()).as(explain(result)).isIn(Status.RUNTIME_ERROR, Status.MEMORY_LIMIT);
        if (result.status() == Status.RUNTIME_ERROR) {
            assertThat(result.stderr()).contains("OutOfMemoryError");
        }
    }

    private static final String JAVA_HOG = """
            import java.util.ArrayList;
            import java.util.List;
            public class Hog {
                public static void main(String[] args) {
                    List<long[]> blocks = new ArrayList<>();
                    for (int mib = 0; mib < 4096; mib++) {
                        long[] block = new long[1 << 17];
                        java.util.Arrays.fill(block, mib);
                        blocks.add(block);
                    }
                    System.out.println("allocated " + blocks.size());
                }
            }
            """;

    // ---------------------------------------------------------------- time

    @Test
    void cpuTimeCountsEveryThread() {
        String program = """
                #include <pthread.h>
                static void *spin(void *unused) { for (;;) { } return unused; }
                int main(void) {
                    pthread_t thread;
                    for (int i = 0; i < 4; i++) pthread_create(&thread, NULL, spin, NULL);
                    spin(NULL);
                    return 0;
                }
                """;
        RunResult result = run("c", program, limits -> limits.withWallTime(Duration.ofSeconds(30)));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.TIME_LIMIT);
        assertThat(result.message()).as("stopped at the CPU limit, not the wall-clock one").contains("CPU time");
        Duration limit = defaultCpuTime();
        assertThat(result.cpuTime()).isGreaterThanOrEqualTo(limit.multipliedBy(9).dividedBy(10))
                .isLessThan(limit.plusSeconds(4));
    }

    static Stream<Arguments> idlers() {
        return Stream.of(
                Arguments.of("pause", "#include <unistd.h>\nint main(void) { pause(); return 0; }\n"),
                Arguments.of("select without fds", "#include <stddef.h>\n#include <sys/select.h>\n"
                        + "int main(void) { select(0, NULL, NULL, NULL, NULL); return 0; }\n"),
                Arguments.of("self-deadlock", "#include <pthread.h>\nint main(void) {\n"
                        + "    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;\n"
                        + "    pthread_mutex_lock(&lock);\n    pthread_mutex_lock(&lock);\n    return 0;\n}\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("idlers")
    void idleProgramsHitTheWallClockLimit(String name, String program) {
        RunResult result = run("c", program, limits -> limits.withWallTime(Duration.ofSeconds(1)));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.TIME_LIMIT);
        assertThat(result.message()).contains("wall-clock");
        assertThat(result.wallTime()).isLessThan(Duration.ofSeconds(6));
        assertThat(result.cpuTime()).isLessThan(Duration.ofMillis(500));
    }

    // ---------------------------------------------------------------- output

    static Stream<Arguments> floods() {
        return Stream.of(
                Arguments.of("stderr flood", "python", "import sys\nwhile True:\n    sys.stderr.write('e' * 999 + '\\n')\n"),
                Arguments.of("endless line", "c", "#include <string.h>\n#include <unistd.h>\nint main(void) {\n"
                        + "    static char chunk[65536];\n    memset(chunk, 'x', sizeof chunk);\n"
                        + "    for (;;) write(1, chunk, sizeof chunk);\n}\n"),
                Arguments.of("one giant write", "c", "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"
                        + "int main(void) {\n    size_t size = 48 << 20;\n    char *line = malloc(size);\n"
                        + "    memset(line, 'y', size);\n    write(1, line, size);\n    return 0;\n}\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floods")
    void floodsStopAtTheOutputCapWithBoundedMemory(String name, String language, String program) {
        long cap = 256 * 1024;
        RunResult result = run(language, program, limits -> limits.withMaxOutputBytes(cap)
                .withWallTime(Duration.ofSeconds(10)).withCpuTime(Duration.ofSeconds(5)));

        assertThat(result.status()).as(result.status() + ": " + result.message()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat((long) result.stdoutBytes().length + result.stderrBytes().length).as("bytes kept").isEqualTo(cap);
        assertThat(result.stdoutTruncated() || result.stderrTruncated()).isTrue();
    }

    // ---------------------------------------------------------------- files

    @Test
    void filledTmpAndWorkEndInNoSpaceOnATmpfsNotOnTheHostsDisk() {
        String program = """
                import errno, os
                print(os.popen('stat -f -c %T /tmp /work').read().split())
                try:
                    with open('/work/fill.bin', 'wb') as f:
                        while True:
                            f.write(b'x' * (1 << 20))
                            f.flush()
                except OSError as e:
                    print('work', errno.errorcode[e.errno])
                os.remove('/work/fill.bin')
                written = 0
                try:
                    with open('/tmp/fill.bin', 'wb') as f:
                        while True:
                            f.write(b'x' * (1 << 20))
                            f.flush()
                            written += 1
                except OSError as e:
                    print(errno.errorcode[e.errno])
                os.remove('/tmp/fill.bin')
                count = 0
                try:
                    while True:
                        with open(f'/tmp/small{count}', 'wb') as f:
                            f.write(b'x' * 16384)
                        count += 1
                except OSError as e:
                    print(errno.errorcode[e.errno], count > 100)
                """;
        RunResult result = run("python", program, limits -> limits.withMemoryBytes(768 * MIB)
                .withMaxFileSizeBytes(1024 * MIB).withWallTime(Duration.ofSeconds(20)).withCpuTime(Duration.ofSeconds(10)));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        List<String> lines = result.stdout().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).as("file systems of /tmp and /work")
                .isIn(expectedWorkFileSystemTypes().stream().map(type -> "['tmpfs', '" + type + "']").toList());
        assertThat(lines.subList(1, 4)).containsExactly("work ENOSPC", "ENOSPC", "ENOSPC True");
    }

    @Test
    void openingFilesWithoutEndRunsOutOfDescriptors() {
        String program = """
                import errno, os
                fds = []
                try:
                    while True:
                        fds.append(os.open('/dev/null', os.O_RDONLY))
                except OSError as e:
                    print(errno.errorcode[e.errno], len(fds) < 64)
                """;
        RunResult result = run("python", program, limits -> limits.withMaxOpenFiles(64));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("EMFILE True\n");
    }

    /**
     * Links planted where the host might follow them when it cleans up (Judge0's CVE-2024-28185):
     * the files they point at are the same afterwards.
     */
    @Test
    void linksPlantedInTheSandboxLeaveHostFilesUntouched() throws Exception {
        Path hostFile = Files.createTempFile("cloudrun-hostile-", ".txt");
        try {
            Files.writeString(hostFile, "host data\n");
            Files.setPosixFilePermissions(hostFile, PosixFilePermissions.fromString("rw-r--r--"));
            List<Path> targets = List.of(Path.of("/etc/passwd"), Path.of(System.getProperty("java.home"), "release"), hostFile);
            Map<Path, String> before = new LinkedHashMap<>();
            for (Path target : targets) {
                before.put(target, fingerprint(target));
            }
            StringBuilder program = new StringBuilder("i=0\nfor target in");
            targets.forEach(target -> program.append(" '").append(target).append('\''));
            program.append(" / /etc /root; do\n"
                    + "  i=$((i + 1))\n"
                    + "  for dir in /work /tmp /work/sub; do\n"
                    + "    mkdir -p /work/sub\n"
                    + "    ln -s \"$target\" \"$dir/link$i\" 2>/dev/null\n"
                    + "    ln \"$target\" \"$dir/hard$i\" 2>/dev/null\n"
                    + "    chmod 0777 \"$dir/link$i\" 2>/dev/null\n"
                    + "    echo planted >> \"$dir/link$i\" 2>/dev/null\n"
                    + "  done\n"
                    + "done\n"
                    + "ln -s / /work/rootlink; ln -s /etc/passwd main.py; ln -sfn /etc /work/sub\n"
                    + "echo planted\n");
            RunResult result = run("bash", program.toString(), limits -> limits);

            assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("planted\n");
            for (Path target : targets) {
                assertThat(fingerprint(target)).as(target.toString()).isEqualTo(before.get(target));
            }
        } finally {
            Files.deleteIfExists(hostFile);
        }
    }

    /** Owner, group, mode, size, modification time and content hash of a host file. */
    private static String fingerprint(Path file) throws IOException, NoSuchAlgorithmException {
        PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return attributes.owner().getName() + ":" + attributes.group().getName() + " "
                + PosixFilePermissions.toString(attributes.permissions()) + " " + attributes.size() + " "
                + attributes.lastModifiedTime() + " "
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void filesLeftBehindAreNotSeenByTheNextRun() {
        String marker = "left-" + UUID.randomUUID();
        String folders = "/tmp /dev/shm /var/tmp /run/lock /work \"$HOME\"";
        RunResult first = run("bash", "for dir in " + folders + "; do\n"
                + "  echo secret > \"$dir/" + marker + "\" 2>/dev/null && echo \"left in $dir\"\n"
                + "done\nexit 0\n", limits -> limits);
        RunResult second = run("bash", "for dir in " + folders + "; do\n"
                + "  ls -a \"$dir\" 2>/dev/null | grep -q '^left-' && echo \"found in $dir\"\n"
                + "done\necho looked\n", limits -> limits);

        assertThat(first.status()).as(explain(first)).isEqualTo(Status.OK);
        assertThat(first.stdout()).contains("left in /tmp\n", "left in /work\n");
        assertThat(second.status()).as(explain(second)).isEqualTo(Status.OK);
        assertThat(second.stdout()).isEqualTo("looked\n");
    }

    // ---------------------------------------------------------------- network

    @Test
    void withNetworkOffNothingAnswersNotEvenNames() throws Exception {
        try (ServerSocket hostService = new ServerSocket(0, 50)) {
            List<String> hosts = new ArrayList<>(List.of("127.0.0.1", "10.0.0.1", "172.17.0.1", "192.168.1.1",
                    "169.254.169.254", "1.1.1.1"));
            hostAddress().ifPresent(hosts::add);
            StringBuilder program = new StringBuilder("import socket\n");
            program.append("for host in ").append(hosts.stream().map(h -> "'" + h + "'").toList()).append(":\n")
                    .append("    for port in (").append(hostService.getLocalPort()).append(", 80):\n")
                    .append("        try:\n")
                    .append("            socket.create_connection((host, port), timeout=1).close()\n")
                    .append("            print('REACHED', host, port)\n")
                    .append("        except OSError:\n")
                    .append("            pass\n")
                    .append("try:\n    print('RESOLVED', socket.getaddrinfo('example.com', 443))\n")
                    .append("except OSError as e:\n    print('no names', type(e).__name__)\n")
                    .append("try:\n    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))\n")
                    .append("    print('SENT udp')\nexcept OSError:\n    print('no udp')\n");
            RunResult result = run("python", program.toString(), limits -> limits.withWallTime(Duration.ofSeconds(20)));

            assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("no names gaierror\nno udp\n");
        }
    }

    /** @return an IPv4 address of this host that is not loopback */
    private static java.util.Optional<String> hostAddress() throws SocketException {
        return NetworkInterface.networkInterfaces().filter(nic -> {
            try {
                return nic.isUp() && !nic.isLoopback();
            } catch (SocketException e) {
                return false;
            }
        }).flatMap(NetworkInterface::inetAddresses).filter(address -> address instanceof Inet4Address)
                .map(InetAddress::getHostAddress).findFirst();
    }

    @Test
    void rawAndPacketSocketsAreRefused() {
        String program = """
                import socket
                for name, family, kind, protocol in [('raw icmp', socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
                                                     ('raw tcp', socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP),
                                                     ('packet', socket.AF_PACKET, socket.SOCK_RAW, 0x0300)]:
                    try:
                        socket.socket(family, kind, protocol).close()
                        print(name, 'ALLOWED')
                    except OSError as e:
                        print(name, type(e).__name__)
                """;
        RunResult result = run("python", program, limits -> limits);

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        assertThat(result.stdout().lines()).containsExactly("raw icmp PermissionError", "raw tcp PermissionError",
                "packet PermissionError");
    }

    // ---------------------------------------------------------------- secrets

    /**
     * Nothing of the host's environment reaches a sandbox: not this JVM's variables ({@value
     * #HOST_SECRET_VARIABLE} among them, when the build sets it; in the
     * program's environment or any process's {@code /proc/PID/environ}), not its working folder or
     * the server's data folder under it, not the Docker socket, not {@code /root}, {@code /home} or
     * {@code /etc/shadow}.
     */
    @Test
    void hostSecretsAreOutOfReach() throws IOException {
        String userDir = System.getProperty("user.dir");
        String program = """
                import glob, os, sys
                for name, value in os.environ.items():
                    print('env', name + '=' + value)
                for path in glob.glob('/proc/[0-9]*/environ'):
                    try:
                        for pair in open(path, 'rb').read().split(b'\\0'):
                            if pair:
                                print('procenv', pair.decode('utf-8', 'replace'))
                    except OSError:
                        pass
                for path in sys.argv[1:] + ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock']:
                    print('exists' if os.path.exists(path) else 'absent', path)
                for path in ['/root', '/home']:
                    try:
                        print('listed', path, sorted(os.listdir(path)))
                    except OSError as e:
                        print('denied', path)
                try:
                    open('/etc/shadow').read()
                    print('READ /etc/shadow')
                except OSError:
                    print('denied /etc/shadow')
                """;
        RunResult result = runner.run(RunRequest.of("python", program).withArgs(userDir, userDir + "/data")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(10))));

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        List<String> lines = result.stdout().lines().toList();
        List<String> sandboxVariables = lines.stream().filter(line -> line.startsWith("env "))
                .map(line -> line.substring(4, line.indexOf('='))).toList();
        assertThat(sandboxVariables).as("the program's environment").isSubsetOf(SANDBOX_VARIABLES);
        Set<String> seen = new java.util.HashSet<>();
        lines.stream().filter(line -> line.startsWith("env ") || line.startsWith("procenv "))
                .map(line -> line.substring(line.indexOf(' ') + 1)).forEach(seen::add);
        List<String> leaked = System.getenv().entrySet().stream()
                .filter(variable -> !variable.getKey().equals("LANG") && variable.getValue().length() > 2)
                .map(variable -> variable.getKey() + "=" + variable.getValue()).filter(seen::contains).toList();
        assertThat(leaked).as("host variables visible in the sandbox").isEmpty();
        String secret = System.getenv(HOST_SECRET_VARIABLE);
        if (secret != null) {
            assertThat(result.stdout()).as("the test JVM's " + HOST_SECRET_VARIABLE).doesNotContain(secret);
        }
        assertThat(lines).contains("absent " + userDir, "absent " + userDir + "/data", "absent /var/run/docker.sock",
                "absent /run/docker.sock", "absent /run/containerd/containerd.sock", "denied /etc/shadow");
        for (String folder : List.of("/root", "/home")) {
            Set<String> hostEntries = hostEntries(Path.of(folder));
            lines.stream().filter(line -> line.startsWith("listed " + folder + " ")).forEach(line ->
                    assertThat(hostEntries).as("host entries of " + folder + " seen: " + line)
                            .noneMatch(entry -> line.contains("'" + entry + "'")));
        }
    }

    private static Set<String> hostEntries(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return Set.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(entry -> entry.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    // ---------------------------------------------------------------- privileges

    @Test
    void privilegedOperationsAreRefused() {
        String program = """
                import ctypes, os, socket
                libc = ctypes.CDLL(None, use_errno=True)
                def report(name, ok):
                    print(name, 'ALLOWED' if ok else 'refused')
                report('chroot', libc.chroot(b'/tmp') == 0)
                report('setuid(0)', libc.setuid(0) == 0)
                report('sethostname', libc.sethostname(b'evil', 4) == 0)
                report('mknod', libc.mknod(b'/tmp/mem', 0o20666, os.makedev(1, 1)) == 0)
                report('mount proc', libc.mount(b'proc', b'/tmp', b'proc', 0, None) == 0)
                report('unshare(user)', libc.unshare(0x10000000) == 0)
                def write(path):
                    try:
                        with open(path, 'w') as f:
                            f.write('1')
                        return True
                    except OSError:
                        return False
                def read(path):
                    try:
                        with open(path, 'rb') as f:
                            return len(f.read(16)) > 0
                    except OSError:
                        return False
                report('/proc/sys write', write('/proc/sys/kernel/hostname') or write('/proc/sys/vm/drop_caches'))
                report('/proc/sysrq-trigger write', write('/proc/sysrq-trigger'))
                report('/sys write', write('/sys/kernel/mm/transparent_hugepage/enabled'))
                report('/proc/kcore read', read('/proc/kcore'))
                report('/dev/mem read', read('/dev/mem'))
                """;
        RunResult result = run("python", program, limits -> limits);

        assertThat(result.status()).as(explain(result)).isEqualTo(Status.OK);
        assertThat(result.stdout().lines()).containsExactly("chroot refused", "setuid(0) refused", "sethostname refused",
                "mknod refused", "mount proc refused", "unshare(user) refused", "/proc/sys write refused",
                "/proc/sysrq-trigger write refused", "/sys write refused", "/proc/kcore read refused",
                "/dev/mem read refused");
    }

    // ---------------------------------------------------------------- compilers

    static Stream<Arguments> compilerBombs() {
        return Stream.of(
                Arguments.of("include /dev/zero", "#include \"/dev/zero\"\nint main() { return 0; }\n"),
                Arguments.of("template recursion", "template <int N> struct Bomb { static const int value = Bomb<N + 1>::value + 1; };\n"
                        + "int main() { return Bomb<0>::value; }\n"),
                Arguments.of("exponential templates", "template <int N, long M> struct Tree {\n"
                        + "    static const long value = Tree<N - 1, 2 * M>::value + Tree<N - 1, 2 * M + 1>::value;\n};\n"
                        + "template <long M> struct Tree<0, M> { static const long value = 1; };\n"
                        + "int main() { return (int) Tree<40, 0>::value; }\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("compilerBombs")
    void compilerBombsEndWithinTheCompileLimits(String name, String program) {
        Duration compileTime = Duration.ofSeconds(5);
        long start = System.nanoTime();
        RunResult result = runner.run(RunRequest.of("cpp", program)
                .withLimits(limits -> limits.withCompileTime(compileTime).withMemoryBytes(256 * MIB)));

        assertThat(result.status()).as(explain(result)).isIn(Status.COMPILE_ERROR, Status.TIME_LIMIT, Status.MEMORY_LIMIT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(compileTime.plusSeconds(10));
        assertThat(result.compilerOutput().length()).as("compiler output is bounded").isLessThan(2 * 1024 * 1024);
    }
}
