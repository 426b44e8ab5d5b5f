package dev.cloudrun.server.ai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CodeExtractorTest {

    @Test
    void takes_the_block_of_the_language_from_a_typical_fix() {
        String reply = """
                The error `NameError: name 'nme' is not defined` comes from a typo on line 2: the variable is `name`.

                ```python
                name = input()
                print("Hello, " + name)
                ```

                Now the program prints the greeting.
                """;
        assertThat(CodeExtractor.extract(reply, "python")).isEqualTo("name = input()\nprint(\"Hello, \" + name)\n");
    }

    @Test
    void understands_aliases_of_the_language_on_both_sides() {
        assertThat(CodeExtractor.extract("```py\nprint(1)\n```", "python")).isEqualTo("print(1)\n");
        assertThat(CodeExtractor.extract("```python3\nprint(1)\n```", "py")).isEqualTo("print(1)\n");
        assertThat(CodeExtractor.extract("```js\nconsole.log(1)\n```", "javascript")).isEqualTo("console.log(1)\n");
        assertThat(CodeExtractor.extract("```node\nconsole.log(1)\n```", "javascript")).isEqualTo("console.log(1)\n");
        assertThat(CodeExtractor.extract("```c++\nint main() {}\n```", "cpp")).isEqualTo("int main() {}\n");
        assertThat(CodeExtractor.extract("```cc\nint main() {}\n```", "cpp")).isEqualTo("int main() {}\n");
        assertThat(CodeExtractor.extract("```Java\nclass Main {}\n```", "java")).isEqualTo("class Main {}\n");
    }

    @Test
    void prefers_the_complete_program_over_snippets_and_output() {
        String reply = """
                The loop goes one step too far. Change this line:

                ```java
                for (int i = 0; i < items.length; i++) {
                ```

                The program printed:

                ```text
                Exception in thread "main" java.lang.ArrayIndexOutOfBoundsException: Index 3 out of bounds for length 3
                ```

                Here is the corrected program:

                ```java
                public class Main {
                    public static void main(String[] args) {
                        int[] items = {1, 2, 3};
                        for (int i = 0; i < items.length; i++) {
                            System.out.println(items[i]);
                        }
                    }
                }
                ```
                """;
        assertThat(CodeExtractor.extract(reply, "java")).startsWith("public class Main {").contains("i < items.length");
    }

    @Test
    void an_entry_point_beats_a_longer_helper_block() {
        String helper = "def helper(values):\n" + "    # a long explanation of a helper\n".repeat(10) + "    return sorted(values)\n";
        String reply = "Helper first:\n\n```python\n" + helper + "```\n\nFull program:\n\n```python\n"
                + "def main():\n    print(sorted([3, 1]))\n\nif __name__ == '__main__':\n    main()\n```\n";
        assertThat(CodeExtractor.extract(reply, "python")).startsWith("def main():");
    }

    @Test
    void without_an_entry_point_the_longest_block_wins() {
        String reply = "```python\nx = 1\n```\nand the whole thing:\n```python\nx = 1\ny = 2\nprint(x + y)\n```";
        assertThat(CodeExtractor.extract(reply, "python")).isEqualTo("x = 1\ny = 2\nprint(x + y)\n");
    }

    @Test
    void no_block_gives_null() {
        assertThat(CodeExtractor.extract("The error means the file does not exist. Create `data.txt` first.", "python")).isNull();
        assertThat(CodeExtractor.extract("", "python")).isNull();
        assertThat(CodeExtractor.extract(null, "python")).isNull();
        assertThat(CodeExtractor.extract("```python\n\n```", "python")).isNull();
    }

    @Test
    void an_unlabelled_block_is_taken_when_no_block_has_the_language() {
        assertThat(CodeExtractor.extract("Fixed:\n\n```\nprint('ok')\n```\n", "python")).isEqualTo("print('ok')\n");
    }

    @Test
    void a_single_block_with_a_wrong_label_is_taken_but_output_blocks_never_are() {
        assertThat(CodeExtractor.extract("```javascript\nconst x: number = 1;\n```", "typescript")).isEqualTo("const x: number = 1;\n");
        assertThat(CodeExtractor.extract("```text\nTraceback (most recent call last):\n```", "python")).isNull();
        assertThat(CodeExtractor.extract("Run it with:\n```bash\npython3 main.py\n```", "python")).isNull();
        // Two blocks of other languages: nothing to pick from with confidence.
        assertThat(CodeExtractor.extract("```java\nclass A {}\n```\n```c\nint main() {}\n```", "python")).isNull();
    }

    @Test
    void the_right_language_wins_over_other_labelled_blocks() {
        String reply = "Install it:\n```bash\npip install requests\n```\nThen:\n```python\nimport requests\n```\n";
        assertThat(CodeExtractor.extract(reply, "python")).isEqualTo("import requests\n");
    }

    @Test
    void handles_crlf_tildes_longer_fences_indentation_and_an_unclosed_block() {
        assertThat(CodeExtractor.extract("Fix:\r\n```python\r\nprint(1)\r\n```\r\n", "python")).isEqualTo("print(1)\n");
        assertThat(CodeExtractor.extract("~~~python\nprint(2)\n~~~", "python")).isEqualTo("print(2)\n");
        assertThat(CodeExtractor.extract("````markdown\n```python\nx\n```\n````", "markdown")).isEqualTo("```python\nx\n```\n");
        assertThat(CodeExtractor.extract("  ```python\nprint(3)\n  ```", "python")).isEqualTo("print(3)\n");
        assertThat(CodeExtractor.extract("The answer was cut:\n```python\nprint(4)\n", "python")).isEqualTo("print(4)\n");
        assertThat(CodeExtractor.extract("```python title=\"main.py\"\nprint(5)\n```", "python")).isEqualTo("print(5)\n");
    }

    @Test
    void a_fence_inside_a_string_of_the_program_does_not_end_the_block_early_when_longer_fences_are_used() {
        String program = "doc = '''\n```\nnot a fence end\n```\n'''\nprint(doc)\n";
        assertThat(CodeExtractor.extract(Prompts.fenced(program, "python"), "python")).isEqualTo(program);
    }
}
