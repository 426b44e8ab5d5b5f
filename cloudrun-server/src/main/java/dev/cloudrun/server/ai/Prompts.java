package dev.cloudrun.server.ai;

import java.util.Map;

/** Builds the prompt for each action. */
final class Prompts {
    private static final Map<String, String> DISPLAY_NAMES = Map.of("python", "Python 3", "javascript", "JavaScript (Node.js)",
            "java", "Java", "cpp", "C++", "c", "C", "bash", "Bash", "html", "HTML", "typescript", "TypeScript");

    private Prompts() { }

    /**
     * @param request the validated request
     * @return the system instructions and the user message
     */
    static Prompt build(AiRequest request) {
        String id = CodeLanguages.canonical(request.language());
        String name = DISPLAY_NAMES.getOrDefault(id, request.language());
        String common = "You are the programming assistant of CloudRun, a web IDE that runs the user's single-file "
                + name + " program in a sandbox. Answer in Markdown, concisely and concretely, for a programmer who may be"
                + " learning. Refer to line numbers when useful. Never invent output the program did not produce.\n\n";
        String task = switch (request.action()) {
            case FIX_ERROR -> "Task: fix the program.\n"
                    + "1. Explain in a few sentences what causes the error and how you fix it.\n"
                    + "2. Then give the complete corrected program - the whole file, not a fragment or a diff - in exactly one"
                    + " fenced code block tagged ```" + id + ". Keep everything that is not part of the fix unchanged.\n"
                    + "Do not put any other code block in the answer.";
            case EXPLAIN_ERROR -> "Task: explain the error. Say what it means, which line of the program causes it and why,"
                    + " and how to fix it. Show at most a few changed lines; do not rewrite the whole program.";
            case EXPLAIN_CODE -> "Task: explain the program. Start with one sentence on what it does, then walk through"
                    + " how it works, and point out bugs or edge cases you notice. Do not rewrite the program.";
            case OPTIMIZE -> "Task: improve the program.\n"
                    + "1. List concrete suggestions (performance, clarity, idiomatic " + name + "), most important first.\n"
                    + "2. Then give the complete optimised program - the whole file - in exactly one fenced code block tagged ```"
                    + id + ". It must behave the same (same input and output).\n"
                    + "Do not put any other code block in the answer.";
        };
        StringBuilder user = new StringBuilder();
        user.append("Language: ").append(name).append("\n\nProgram:\n").append(fenced(request.code(), id));
        if (!request.error().isBlank()) {
            user.append("\nError:\n").append(fenced(request.error(), "text"));
        }
        if (!request.output().isBlank()) {
            user.append("\nOutput of the last run:\n").append(fenced(request.output(), "text"));
        }
        return new Prompt(common + task, user.toString());
    }

    /** A fenced block whose fence is longer than any backtick run inside, so the text cannot close it early. */
    static String fenced(String text, String label) {
        int longest = 0;
        int run = 0;
        for (int index = 0; index < text.length(); index++) {
            run = text.charAt(index) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(Math.max(3, longest + 1));
        return fence + label + "\n" + text + (text.endsWith("\n") ? "" : "\n") + fence + "\n";
    }
}
