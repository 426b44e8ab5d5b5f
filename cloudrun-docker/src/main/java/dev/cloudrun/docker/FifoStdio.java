package dev.cloudrun.docker;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.StreamKind;
import dev.cloudrun.internal.HostCommand;
import dev.cloudrun.spi.OutputSink;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;

/**
 * A pre-started container's stdout and stderr as two FIFOs of this host, read by the backend
 * directly instead of through the daemon's attach stream (which copies every byte through the
 * container's shim and the daemon: about 175 MiB/s here, against several GiB/s for a pipe). Only
 * with runc and a daemon on this host ({@link DockerSandbox#interpretersPossible}); stdin, and
 * anything written before the redirection, still travel over the attach stream.
 *
 * <p>The FIFOs are in a folder of root's beside the workspace (never in a folder the program can
 * write), bound read-only at {@value #CONTAINER_DIR}; a FIFO on a read-only mount can still be
 * written. The container's command redirects its stdout and stderr there first
 * ({@link #REDIRECT}). The host holds each FIFO open read-write from creation, so the container's
 * open for writing never blocks and nothing the container writes is lost; when a run takes the
 * container, {@link #pump} opens a reader and only then lets go of the read-write end, so that
 * end-of-file comes exactly when the program's last writer (the program and anything it started)
 * closes the stream, as with a pipe.
 */
final class FifoStdio implements AutoCloseable {
    /** Where the FIFOs appear in the container. */
    static final String CONTAINER_DIR = "/dev/cloudrun-io";
    /** The shell redirection that makes a container's stdout and stderr the FIFOs. */
    static final String REDIRECT = "exec >" + CONTAINER_DIR + "/out 2>" + CONTAINER_DIR + "/err";

    /**
     * The command prefix that runs a command with its stdout and stderr on the FIFOs and otherwise as
     * the container's own command: {@code bash} redirects, then replaces itself with the command
     * through {@code env -i} and the environment exactly as the container got it (read back from
     * {@code /proc/self/environ}, so neither a variable the shell adds, such as {@code PWD}, nor the
     * shell's reordering reaches the program).
     *
     * @return the prefix; the command's own argument list follows it
     */
    static List<String> wrap() {
        return List.of("/bin/bash", "-c", "mapfile -d '' environment < /proc/self/environ && " + REDIRECT
                + " && exec /usr/bin/env -i \"${environment[@]}\" \"$@\"", "cloudrun-launch");
    }

    private final Path folder;
    private final FileChannel outHeld;
    private final FileChannel errHeld;
    private volatile boolean closed;

    private FifoStdio(Path folder, FileChannel outHeld, FileChannel errHeld) {
        this.folder = folder;
        this.outHeld = outHeld;
        this.errHeld = errHeld;
    }

    /**
     * Makes the folder and its two FIFOs, writable by the sandbox user, and holds them open.
     *
     * @param folder a new folder of root's (it must not exist)
     * @return the FIFOs
     */
    static FifoStdio create(Path folder) {
        try {
            Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (IOException e) {
            throw new CloudRunException("cannot make the output FIFOs' folder: " + e, e);
        }
        FileChannel out = null;
        try {
            HostCommand.Result made = HostCommand.run(List.of("mkfifo", "-m", "0622",
                    folder.resolve("out").toString(), folder.resolve("err").toString()), Duration.ofSeconds(10));
            if (made.exitCode() != 0) {
                throw new IOException("mkfifo failed: " + made.output().strip());
            }
            out = holdOpen(folder.resolve("out"));
            FileChannel err = holdOpen(folder.resolve("err"));
            return new FifoStdio(folder, out, err);
        } catch (IOException | RuntimeException e) {
            closeQuietly(out);
            deleteQuietly(folder);
            throw new CloudRunException("cannot make the output FIFOs: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(out);
            deleteQuietly(folder);
            throw new CloudRunException("interrupted while making the output FIFOs", e);
        }
    }

    private static FileChannel holdOpen(Path fifo) throws IOException {
        // Read-write: the open blocks neither here nor in the container.
        return FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }

    /** @return the read-only bind mount of the FIFOs' folder */
    Mount mount() {
        return new Mount().withType(MountType.BIND).withSource(folder.toString()).withTarget(CONTAINER_DIR).withReadOnly(true);
    }

    /**
     * Opens the readers and lets go of the held ends: from now on end-of-file means the program's
     * side closed. Call once, when a run takes the container (which has opened both for writing).
     *
     * @return the readers of stdout and stderr
     * @throws IOException if a FIFO cannot be opened
     */
    FileChannel[] openReaders() throws IOException {
        // Opening for reading does not block: the held end is a writer.
        FileChannel out = FileChannel.open(folder.resolve("out"), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        FileChannel err;
        try {
            err = FileChannel.open(folder.resolve("err"), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            out.close();
            throw e;
        }
        outHeld.close();
        errHeld.close();
        return new FileChannel[] {out, err};
    }

    /**
     * Delivers one FIFO to the sink until end-of-file. Runs on the calling thread.
     *
     * @param reader a reader from {@link #openReaders}
     * @param stream which stream it is
     * @param sink where the chunks go
     * @throws IOException if reading fails
     */
    static void pump(FileChannel reader, StreamKind stream, OutputSink sink) throws IOException {
        try (reader) {
            // The sink reads the FIFO itself (OutputSink.drain): into its capture, without a copy per chunk.
            sink.drain(stream, java.nio.channels.Channels.newInputStream(reader));
        }
    }

    /** Closes the held ends (if a run never took them) and removes the FIFOs and their folder. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(outHeld);
        closeQuietly(errHeld);
        deleteQuietly(folder);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing to do: the FIFO is removed next.
            }
        }
    }

    /** Removes the folder's entries (FIFOs of root's; nothing of the program's is ever in it) and the folder. */
    static void deleteQuietly(Path folder) {
        try (var entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                Files.deleteIfExists(entry);
            }
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            // Reported by the leak check, and swept at the next start.
        }
    }
}
