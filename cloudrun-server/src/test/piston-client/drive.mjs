// Drives the unmodified piston-client package against a server: node drive.mjs http://127.0.0.1:PORT
// Prints one JSON object with each call's answer; PistonApiKit asserts on it.
import piston from "piston-client";

const client = piston({ server: process.argv[2] });
const answers = {};
answers.runtimes = await client.runtimes();
answers.python = await client.execute("python", 'print("Hello World!")');
answers.c = await client.execute("c", '#include <stdio.h>\nint main(void) { printf("Hello from C\\n"); return 0; }\n');
answers.stdin = await client.execute("python", "print(input()[::-1])", { stdin: "dlrow olleh" });
answers.args = await client.execute("python", "import sys\nprint(sys.argv[1:])");
answers.compileError = await client.execute("c", "int main(void) { return 0 }\n");
console.log(JSON.stringify(answers));
