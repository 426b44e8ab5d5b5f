package dev.cloudrun.server.compat.jobe;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Jobe's answer to a finished run: its outcome code and its texts, decided from CloudRun's result
 * by one ordered list of rules that follow Jobe's {@code LanguageTask::diagnoseResult}.
 *
 * @param outcome Jobe's outcome code
 * @param cmpinfo the compiler's output (non-empty only for a compile error)
 * @param stdout the program's output
 * @param stderr the program's error output
 */
record JobeOutcome(int outcome, String cmpinfo, String stdout, String stderr) {
    static final int COMPILATION_ERROR = 11;
    static final int RUNTIME_ERROR = 12;
    static final int TIME_LIMIT = 13;
    static final int SUCCESS = 15;
    static final int MEMORY_LIMIT = 17;
    static final int ILLEGAL_SYSCALL = 19;
    static final int INTERNAL_ERROR = 20;
    static final int SERVER_OVERLOAD = 21;

    // A SyntaxError in the main file itself is reported before anything runs, without a traceback header;
    // one raised while importing another module (or by exec) has the header and is a runtime error, as in Jobe.
    private static final Pattern PYTHON_SYNTAX_ERROR =
            Pattern.compile("(?m)^(SyntaxError|IndentationError|TabError)\\b.*\\s*\\z");

    /**
     * Applies the rules, first match wins.
     *
     * @param languageId CloudRun's language id
     * @param result the run's result
     * @return Jobe's answer
     */
    static JobeOutcome of(String languageId, RunResult result) {
        String stdout = clean(result.stdoutBytes());
        String stderr = clean(result.stderrBytes());
        Status status = result.status();
        // 1. CloudRun itself failed.
        if (status == Status.INTERNAL_ERROR) {
            return new JobeOutcome(INTERNAL_ERROR, "", stdout, result.message() == null ? stderr : result.message());
        }
        // 2. The compiler refused it (or, for an interpreted language, the interpreter could not parse it:
        //    then its message is the program's stderr, as Jobe's py_compile output is).
        if (status == Status.COMPILE_ERROR) {
            String cmpinfo = result.compilerOutput() != null && !result.compilerOutput().isEmpty() ? result.compilerOutput()
                    : !stderr.isEmpty() ? stderr : result.message() == null ? "compilation failed" : result.message();
            return new JobeOutcome(COMPILATION_ERROR, cmpinfo, "", "");
        }
        // 3. Python's syntax errors: Jobe runs py_compile first and answers them as compile errors.
        if (languageId.equals("python") && status == Status.RUNTIME_ERROR && stdout.isEmpty()
                && !stderr.contains("Traceback (most recent call last)") && PYTHON_SYNTAX_ERROR.matcher(stderr).find()) {
            return new JobeOutcome(COMPILATION_ERROR, stderr, "", "");
        }
        // 4. Time (and the server's deadline, and Jobe's output limit, which runguard reports as a time limit):
        //    Jobe keeps the output and drops the error text.
        if (status == Status.TIME_LIMIT || status == Status.CANCELLED || status == Status.OUTPUT_LIMIT) {
            return new JobeOutcome(TIME_LIMIT, "", stdout, "");
        }
        // 5. Memory.
        if (status == Status.MEMORY_LIMIT) {
            return new JobeOutcome(MEMORY_LIMIT, "", stdout, stderr);
        }
        // 6. Any error output is a runtime error, whatever the exit code (Jobe and CodeRunner both say so).
        if (!stderr.isEmpty()) {
            return new JobeOutcome(RUNTIME_ERROR, "", stdout, stderr);
        }
        // 7. Killed by a signal (a crash): Jobe's shell prints it, so it is a runtime error there too.
        if (result.signal().isPresent()) {
            return new JobeOutcome(RUNTIME_ERROR, "", stdout, "terminated by signal " + result.signal().get());
        }
        // 8. Otherwise success, even with a non-zero exit code: Jobe looks only at stderr.
        return new JobeOutcome(SUCCESS, "", stdout, "");
    }

    /** @return the answer to a run refused because the server is full */
    static JobeOutcome overload() {
        return new JobeOutcome(SERVER_OVERLOAD, "", "", "");
    }

    /**
     * Jobe's {@code ResultObject::clean}: valid UTF-8 is kept as it is; otherwise every control
     * character but newline, tab and return, and every byte above 0x7E, becomes {@code \xNN}.
     */
    static String clean(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder cleaned = new StringBuilder(bytes.length + 16);
            for (byte b : bytes) {
                int c = b & 0xFF;
                if ((c != '\n' && c != '\r' && c != '\t' && c < ' ') || c > 0x7E) {
                    cleaned.append(String.format("\\x%02x", c));
                } else {
                    cleaned.append((char) c);
                }
            }
            return cleaned.toString();
        }
    }
}
