package dev.cloudrun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cloudrun shell} on the local sandbox: in a child JVM on a real pseudo-terminal (raw mode,
 * the window's size, the shell's exit status), and in-process with commands piped in (a copy of
 * DIR, symbolic links never followed, write-back only when asked for, bad options).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShellCommandTest {
    private static final Pattern PROMPT = Pattern.compile("\\$ $", Pattern.MULTILINE);

    @TempDir
    Path dir;
    @TempDir
    Path outside;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int cli(String stdin, String... args) {
        InputStream input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        return new CloudRunCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), input).execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onARealTerminalTheShellAnswersFollowsTheWindowAndExitsWithItsStatus() throws Exception {
        Files.writeString(dir.resolve("main.py"), "print('hi')\n");
        Path settingsAfter = outside.resolve("stty-after.txt");
        // A shell around the CLI on the same terminal tells what the CLI left the terminal's settings at.
        PtyProcess cli = startOnPty(List.of("/bin/sh", "-c", "\"$@\"; status=$?; stty -a > " + settingsAfter + "; exit $status",
                "sh"), "shell", dir.toString(), "--backend", "local");
        try (Screen screen = new Screen(cli.getInputStream())) {
            OutputStream keys = cli.getOutputStream();
            screen.waitFor(PROMPT);
            type(keys, "echo $((6*7))\r");
            screen.waitFor(Pattern.compile("\r\n42\r\n"));
            type(keys, "pwd; ls; stty size\r");
            screen.waitFor(Pattern.compile("main\\.py.*\r\n30 100\r\n", Pattern.DOTALL));

            cli.setWinSize(new WinSize(120, 40));
            // The size reaches the sandbox's terminal through SIGWINCH (or the one-second poll).
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean resized = false;
            while (!resized && System.nanoTime() < deadline) {
                type(keys, "stty size\r");
                resized = screen.waitForEither(Pattern.compile("\r\n40 120\r\n"), Pattern.compile("\r\n30 100\r\n"));
                if (!resized) {
                    Thread.sleep(200);
                }
            }
            assertThat(resized).as("stty size after the window grew; the terminal showed:%n%s", screen.text()).isTrue();

            // Raw mode: Ctrl+C goes to the sandbox's foreground job, not to the CLI.
            type(keys, "sleep 100\r");
            Thread.sleep(300);
            keys.write(3);
            keys.flush();
            screen.waitFor(PROMPT);
            type(keys, "echo still-$((1+1))\r");
            screen.waitFor(Pattern.compile("still-2\r\n"));

            type(keys, "echo x > new.txt; exit 3\r");
            assertThat(cli.waitFor(30, TimeUnit.SECONDS)).as(screen.text()).isTrue();
            assertThat(cli.exitValue()).as(screen.text()).isEqualTo(3);
        } finally {
            cli.destroyForcibly();
        }
        assertThat(dir.resolve("new.txt")).as("no --write-back").doesNotExist();
        // Raw mode undone: line editing and echo are back.
        assertThat(Files.readString(settingsAfter)).containsPattern("(^|\\s)icanon\\s").containsPattern("(^|\\s)echo\\s");
    }

    @Test
    void killingTheCliKillsEveryProcessOfItsWorkspace() throws Exception {
        PtyProcess cli = startOnPty("shell", dir.toString(), "--backend", "local");
        try (Screen screen = new Screen(cli.getInputStream())) {
            OutputStream keys = cli.getOutputStream();
            screen.waitFor(PROMPT);
            // A daemon that ignores SIGHUP, in a session of its own.
            type(keys, "setsid nohup sleep 4242 >/dev/null 2>&1 & echo started-$((2+3))\r");
            screen.waitFor(Pattern.compile("started-5\r\n"));
            long started = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (sleepers().isEmpty() && System.nanoTime() < started) {
                Thread.sleep(100);
            }
            assertThat(sleepers()).as("the daemon, seen from the host").isNotEmpty();
            cli.destroy();
            assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            cli.destroyForcibly();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!sleepers().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(sleepers()).as("processes of the workspace after SIGTERM to the CLI").isEmpty();
    }

    /** @return the pids of every {@code sleep 4242} on this host */
    private static List<Long> sleepers() {
        return ProcessHandle.allProcesses().filter(process -> process.info().commandLine()
                .map(line -> line.contains("sleep 4242")).orElse(false)).map(ProcessHandle::pid).toList();
    }

    private PtyProcess startOnPty(String... args) throws IOException {
        return startOnPty(List.of(), args);
    }

    /** Starts the CLI in a child JVM on a new pseudo-terminal of 100x30, after the wrapper's words if any. */
    private PtyProcess startOnPty(List<String> wrapper, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.put("TERM", "xterm-256color");
        List<String> command = new java.util.ArrayList<>(wrapper);
        command.addAll(List.of(java, "-cp", System.getProperty("java.class.path"), CloudRunCli.class.getName()));
        command.addAll(List.of(args));
        return new PtyProcessBuilder(command.toArray(String[]::new)).setEnvironment(environment).setInitialColumns(100).setInitialRows(30)
                .setConsole(false).start();
    }

    @Test
    void commandsPipedInRunInACopyOfDirThatStaysUnchangedWithoutWriteBack() throws IOException {
        Files.writeString(dir.resolve("main.py"), "print('hi')\n");
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/util.py"), "X = 1\n");
        Path secret = Files.writeString(outside.resolve("secret.txt"), "host-secret-text");
        Files.createSymbolicLink(dir.resolve("link.txt"), secret);

        int code = cli("echo $((6*7))\npwd; ls -a; ls lib\ncat link.txt; echo x > new.txt; echo y > main.py\n"
                + "python3 -c 'print(6*7+1)'\nexit 3\n", "shell", dir.toString(), "--backend", "local");

        assertThat(code).as(stdout() + stderr()).isEqualTo(3);
        // The answers are lines of their own (the commands echoed contain no 42 or 43).
        assertThat(stdout()).containsPattern("(?m)^42\r*$").containsPattern("(?m)^43\r*$").contains("main.py", "util.py")
                .doesNotContain("host-secret-text");
        assertThat(stderr()).contains("skipping symbolic link link.txt");
        assertThat(listing(dir)).containsExactlyInAnyOrder("main.py", "lib", "link.txt");
        assertThat(Files.readString(dir.resolve("main.py"))).isEqualTo("print('hi')\n");
        assertThat(Files.readString(secret)).isEqualTo("host-secret-text");
    }

    @Test
    void writeBackCopiesNewChangedAndDeletedFilesAndNeverWritesThroughALink() throws IOException {
        Files.writeString(dir.resolve("main.py"), "print('hi')\n");
        Files.setPosixFilePermissions(dir.resolve("main.py"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(dir.resolve("gone.txt"), "delete me\n");
        Path secret = Files.writeString(outside.resolve("secret.txt"), "host-secret-text");
        Files.createSymbolicLink(dir.resolve("link.txt"), secret);
        Files.createSymbolicLink(dir.resolve("out"), outside);

        int code = cli("echo x > new.txt; echo changed > main.py; rm gone.txt; mkdir -p sub out; echo s > sub/deep.txt\n"
                + "echo planted > out/planted.txt; echo overwrite > link.txt; exit 0\n",
                "shell", dir.toString(), "--backend", "local", "--write-back");

        assertThat(code).as(stdout() + stderr()).isZero();
        assertThat(Files.readString(dir.resolve("new.txt"))).isEqualTo("x\n");
        assertThat(Files.readString(dir.resolve("main.py"))).isEqualTo("changed\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("main.py")))).isEqualTo("rwxr-x---");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("new.txt")))).isEqualTo("rw-r--r--");
        assertThat(Files.readString(dir.resolve("sub/deep.txt"))).isEqualTo("s\n");
        assertThat(dir.resolve("gone.txt")).doesNotExist();
        // The link out of DIR is replaced by the file, never written through; the link to a folder stays skipped.
        assertThat(Files.readString(secret)).isEqualTo("host-secret-text");
        assertThat(Files.isSymbolicLink(dir.resolve("link.txt"))).isFalse();
        assertThat(Files.readString(dir.resolve("link.txt"))).isEqualTo("overwrite\n");
        assertThat(outside.resolve("planted.txt")).doesNotExist();
        assertThat(stderr()).contains("not writing back out/planted.txt").contains("wrote back");
        assertThat(listing(dir)).noneMatch(name -> name.startsWith(".cloudrun-"));
    }

    @Test
    void badOptionsNameTheOptionAndExitWith2() throws IOException {
        assertThat(cli("", "shell", dir.toString(), "--bogus")).isEqualTo(2);
        assertThat(stderr()).contains("unknown option --bogus");
        err.reset();
        assertThat(cli("", "shell", dir.toString(), "--backend", "nowhere")).isEqualTo(2);
        assertThat(stderr()).contains("--backend must be auto, local or docker, not 'nowhere'");
        err.reset();
        assertThat(cli("", "shell", dir.toString(), "--language")).isEqualTo(2);
        assertThat(stderr()).contains("--language needs a value");
        err.reset();
        assertThat(cli("", "shell", dir.toString(), "other")).isEqualTo(2);
        assertThat(stderr()).contains("shell takes one DIR");
        err.reset();
        assertThat(cli("", "shell", dir.resolve("missing").toString(), "--backend", "local")).isEqualTo(2);
        assertThat(stderr()).contains("is not a folder");
        err.reset();
        assertThat(cli("", "shell", dir.toString(), "--backend", "local", "--language", "cobol")).isEqualTo(2);
        assertThat(stderr()).contains("language").contains("cobol");
        err.reset();
        assertThat(cli("", "shell", "--help")).isZero();
        assertThat(stdout()).contains("usage: cloudrun shell [DIR]", "--write-back");
    }

    @Test
    void aFolderAboveTheDiskCapIsRefusedBeforeAnythingStarts() throws IOException {
        try (RandomAccessFile big = new RandomAccessFile(dir.resolve("big.bin").toFile(), "rw")) {
            big.setLength(300L << 20);
        }
        assertThat(cli("", "shell", dir.toString(), "--backend", "local")).isEqualTo(2);
        assertThat(stderr()).contains("more than the workspace's disk cap");
    }

    private static List<String> listing(Path folder) throws IOException {
        try (var names = Files.list(folder)) {
            return names.map(path -> path.getFileName().toString()).toList();
        }
    }

    private static void type(OutputStream keys, String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** What the child's terminal showed, read as it comes. */
    private static final class Screen implements AutoCloseable {
        private static final Pattern BRACKETED_PASTE = Pattern.compile("\u001b\\[\\?2004h|\u001b\\[\\?2004l\r?");
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread reader;
        private int consumed;

        Screen(InputStream terminal) {
            reader = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    int read;
                    while ((read = terminal.read(buffer)) >= 0) {
                        synchronized (this) {
                            bytes.write(buffer, 0, read);
                            notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // The terminal closed.
                }
            }, "shell-test-screen");
            reader.setDaemon(true);
            reader.start();
        }

        synchronized String text() {
            return BRACKETED_PASTE.matcher(bytes.toString(StandardCharsets.UTF_8)).replaceAll("");
        }

        synchronized void waitFor(Pattern pattern) throws InterruptedException {
            assertThat(waitForEither(pattern, null)).isTrue();
        }

        /** @return true if the first pattern showed up, false if the second did (or neither, at the deadline: fails) */
        synchronized boolean waitForEither(Pattern wanted, Pattern other) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                String unread = text().substring(consumed);
                Matcher match = wanted.matcher(unread);
                if (match.find()) {
                    consumed += match.end();
                    return true;
                }
                Matcher otherMatch = other == null ? null : other.matcher(unread);
                if (otherMatch != null && otherMatch.find()) {
                    consumed += otherMatch.end();
                    return false;
                }
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s; the terminal showed:%n%s", wanted, text()).isPositive();
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        @Override
        public void close() {
            try {
                reader.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
