package dev.cloudrun.server.compat.piston;

import java.util.Map;
import java.util.TreeMap;

/** Linux signal numbers by Piston's names (api/src/globals.js). */
final class PistonSignals {
    private static final String[] STANDARD = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
        "SIGPWR", "SIGSYS"};
    private static final Map<Integer, String> NAMES = new TreeMap<>();

    static {
        for (int number = 1; number < STANDARD.length; number++) {
            NAMES.put(number, STANDARD[number]);
        }
        NAMES.put(34, "SIGRTMIN");
        for (int number = 35; number <= 49; number++) {
            NAMES.put(number, "SIGRTMIN+" + (number - 34));
        }
        for (int number = 50; number <= 63; number++) {
            NAMES.put(number, "SIGRTMAX-" + (64 - number));
        }
        NAMES.put(64, "SIGRTMAX");
    }

    private PistonSignals() { }

    /**
     * @param number a signal number
     * @return Piston's name, or null for a number it does not name
     */
    static String name(int number) {
        return NAMES.get(number);
    }

    /**
     * @param name a name a client sent
     * @return whether Piston accepts it in a {@code signal} message
     */
    static boolean isValid(String name) {
        return name != null && NAMES.containsValue(name);
    }
}
