package dev.cloudrun.cli;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The terminal {@code cloudrun shell} was started on, driven through {@code stty} on this
 * process's own standard input: raw mode (keystrokes, Ctrl+C included, go to the sandbox's shell
 * unchanged) restored on exit, on Ctrl+C or kill through a shutdown hook, and the window's size
 * with its changes (SIGWINCH where the JVM lets us handle it).
 */
final class HostTerminal implements AutoCloseable {
    private final String savedSettings;
    private final AtomicBoolean restored = new AtomicBoolean();
    private final Thread restoreHook = new Thread(this::restore, "cloudrun-shell-restore-tty");

    private HostTerminal(String savedSettings) {
        this.savedSettings = savedSettings;
    }

    /**
     * @return the terminal on standard input, or empty if standard input is not a terminal (a pipe)
     */
    static Optional<HostTerminal> onStandardInput() {
        try {
            Process test = new ProcessBuilder("test", "-t", "0").redirectInput(ProcessBuilder.Redirect.INHERIT).start();
            if (test.waitFor() != 0) {
                return Optional.empty();
            }
            return Optional.of(new HostTerminal(stty("-g").strip()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Puts the terminal in raw mode without echo until {@link #close()} or the JVM's end. */
    void enterRawMode() throws IOException {
        Runtime.getRuntime().addShutdownHook(restoreHook);
        stty("raw", "-echo");
    }

    /** @return the window's size as {columns, rows}, 80x24 if the terminal does not say */
    int[] size() {
        try {
            String[] rowsColumns = stty("size").strip().split("\\s+");
            int rows = Integer.parseInt(rowsColumns[0]);
            int columns = Integer.parseInt(rowsColumns[1]);
            if (rows > 0 && columns > 0) {
                return new int[] {columns, rows};
            }
        } catch (IOException | RuntimeException e) {
            // A terminal that does not know its size: the usual default.
        }
        return new int[] {80, 24};
    }

    /**
     * Calls the action on each SIGWINCH.
     *
     * @param action what to do when the window changes
     * @return whether the JVM lets this process handle SIGWINCH (if not, poll {@link #size()})
     */
    static boolean onWindowChange(Runnable action) {
        try {
            // sun.misc.Signal through reflection: it is in jdk.unsupported, and not every JVM has it.
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            InvocationHandler call = (proxy, method, arguments) -> {
                if (method.getName().equals("handle")) {
                    action.run();
                    return null;
                }
                return method.getDeclaringClass() == Object.class && method.getName().equals("equals")
                        ? proxy == arguments[0] : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                        : "SIGWINCH handler";
            };
            Object winch = signal.getConstructor(String.class).newInstance("WINCH");
            Object proxy = Proxy.newProxyInstance(HostTerminal.class.getClassLoader(), new Class<?>[] {handler}, call);
            signal.getMethod("handle", signal, handler).invoke(null, winch, proxy);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Restores the settings the terminal had. Idempotent. */
    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // Already shutting down (the hook is running or ran), or never added.
        }
    }

    private void restore() {
        if (restored.compareAndSet(false, true)) {
            try {
                stty(savedSettings);
            } catch (IOException e) {
                System.err.println("cloudrun: could not restore the terminal; type 'stty sane'");
            }
        }
    }

    private static String stty(String... arguments) throws IOException {
        String[] command = new String[arguments.length + 1];
        command[0] = "stty";
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        Process stty = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (stty.waitFor() != 0) {
                throw new IOException("stty " + String.join(" ", arguments) + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return output;
    }
}
