package dev.cloudrun.langchain4j;

import dev.cloudrun.InvalidRequestException;

/**
 * How much of a run's output goes back to the model: the head of stdout and the tail of stderr
 * (where a traceback ends with the error), each cut to a number of characters with a note saying
 * how much was left out. A model's context is finite and a program's output is not.
 *
 * @param stdoutChars the most characters of stdout kept (the first ones)
 * @param stderrChars the most characters of stderr and compiler output kept (the last ones)
 */
record OutputCaps(int stdoutChars, int stderrChars) {
    /** 10,000 characters of stdout and 4,000 of stderr. */
    static final OutputCaps DEFAULT = new OutputCaps(10_000, 4_000);

    OutputCaps {
        check("maxStdoutChars", stdoutChars);
        check("maxStderrChars", stderrChars);
    }

    private static void check(String field, int chars) {
        if (chars < 100 || chars > 1_000_000) {
            throw new InvalidRequestException(field, "must be between 100 and 1000000, was " + chars);
        }
    }

    OutputCaps withStdoutChars(int chars) {
        return new OutputCaps(chars, stderrChars);
    }

    OutputCaps withStderrChars(int chars) {
        return new OutputCaps(stdoutChars, chars);
    }

    /**
     * @param stdout the program's stdout
     * @return its first {@link #stdoutChars()} characters, with a note when some were cut
     */
    String stdout(String stdout) {
        if (stdout.length() <= stdoutChars) {
            return stdout;
        }
        int keep = Character.isHighSurrogate(stdout.charAt(stdoutChars - 1)) ? stdoutChars - 1 : stdoutChars;
        return stdout.substring(0, keep) + "\n[... " + (stdout.length() - keep) + " more characters of stdout cut ...]";
    }

    /**
     * @param stderr the program's stderr or the compiler's output
     * @return its last {@link #stderrChars()} characters, with a note when some were cut
     */
    String stderr(String stderr) {
        if (stderr.length() <= stderrChars) {
            return stderr;
        }
        int cut = stderr.length() - stderrChars;
        if (Character.isLowSurrogate(stderr.charAt(cut))) {
            cut++;
        }
        return "[... " + cut + " earlier characters cut ...]\n" + stderr.substring(cut);
    }
}
