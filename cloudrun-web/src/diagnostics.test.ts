/// <reference types="node" />
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDiagnostics, PathMapper, type DiagnosticOptions } from './diagnostics';

/** Outputs captured from the runtime images (cloudrun/python:1, node:1, cpp:1, java:1) running broken programs in /work. */
const sample = (name: string) => readFileSync(new URL(`./testdata/diagnostics/${name}.txt`, import.meta.url), 'utf8');

const brief = (options: DiagnosticOptions, output: string) =>
  parseDiagnostics(output, options).map(({ path, line, column, severity }) => ({ path, line, column, severity }));

describe('compiler output', () => {
  it('gcc: errors and warnings with their columns and spans, notes of the "In function" kind left out', () => {
    const found = parseDiagnostics(sample('c'), { files: ['main.c'] });
    expect(found).toEqual([
      { path: 'main.c', line: 5, column: 19, endColumn: 20, severity: 'error', message: 'expected ‘;’ before ‘return’', source: 'gcc' },
      { path: 'main.c', line: 4, column: 9, endColumn: 15, severity: 'warning', message: 'unused variable ‘unused’ [-Wunused-variable]', source: 'gcc' },
    ]);
  });

  it('g++: every error of the file', () => {
    expect(brief({ files: ['main.cpp'] }, sample('cpp'))).toEqual([
      { path: 'main.cpp', line: 5, column: 13, severity: 'error' },
      { path: 'main.cpp', line: 6, column: 12, severity: 'error' },
    ]);
  });

  it('javac: the caret gives the column, the symbol joins the message', () => {
    expect(brief({ files: ['Main.java'] }, sample('java'))).toEqual([{ path: 'Main.java', line: 3, column: 18, severity: 'error' }]);
    const found = parseDiagnostics(sample('java2'), { files: ['Main.java'] });
    expect(found.map((item) => [item.line, item.column, item.message])).toEqual([
      [6, 21, 'incompatible types: List<String> cannot be converted to int'],
      [7, 36, 'cannot find symbol: variable missing'],
    ]);
  });

  it('a Java exception points at the first frame in a project file', () => {
    expect(parseDiagnostics(sample('javart'), { files: ['Main.java'] })).toEqual([
      { path: 'Main.java', line: 3, column: null, endColumn: null, severity: 'error', message: 'java.lang.ArithmeticException: / by zero', source: 'java' },
    ]);
  });

  it('files not in the project are ignored', () => {
    expect(parseDiagnostics(sample('c'), { files: ['other.c'] })).toEqual([]);
    expect(parseDiagnostics('/usr/include/stdio.h:12:3: error: boom\n', { files: ['main.c', 'stdio.h'] })).toEqual([]);
  });
});

describe('Python tracebacks', () => {
  it('the last frame in a project file, with the column from the file\'s own line', () => {
    const source: Record<string, string[]> = { 'helper.py': ['def greet(name):', '    return "Hello, " + undefined_name'] };
    const found = parseDiagnostics(sample('py'), {
      files: ['main.py', 'helper.py'],
      lineText: (path, line) => source[path]?.[line - 1] ?? null,
    });
    expect(found).toEqual([{ path: 'helper.py', line: 2, column: 24, endColumn: 38, severity: 'error',
      message: 'NameError: name \'undefined_name\' is not defined', source: 'python' }]);
  });

  it('without the helper in the project, the frame in main.py that called it', () => {
    expect(brief({ files: ['main.py'] }, sample('py'))).toEqual([{ path: 'main.py', line: 5, column: null, severity: 'error' }]);
  });

  it('a SyntaxError\'s caret gives the column in the dedented line', () => {
    const lines = ['def main():', '    if True:', '        print("a"'];
    expect(parseDiagnostics(sample('pysyn'), { files: ['main.py'], lineText: (_, line) => lines[line - 1] ?? null })).toEqual([
      { path: 'main.py', line: 3, column: 14, endColumn: 15, severity: 'error', message: 'SyntaxError: \'(\' was never closed', source: 'python' },
    ]);
    expect(brief({ files: ['main.py'] }, sample('pysyn'))).toEqual([{ path: 'main.py', line: 3, column: null, severity: 'error' }]);
    expect(brief({ files: ['main.py'], lineText: () => 'print(1)' }, sample('pyind'))).toEqual([{ path: 'main.py', line: 2, column: 1, severity: 'error' }]);
  });

  it('frames of the standard library and of other folders are not the project\'s', () => {
    const output = 'Traceback (most recent call last):\n  File "/work/main.py", line 2, in <module>\n    json.loads("{")\n'
      + '  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads\n    return _default_decoder.decode(s)\n'
      + '  File "/elsewhere/main.py", line 9, in x\n'
      + 'json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)\n';
    expect(brief({ files: ['main.py', '__init__.py'] }, output)).toEqual([{ path: 'main.py', line: 2, column: null, severity: 'error' }]);
  });
});

describe('Node.js', () => {
  it('a thrown error: the header line and its caret', () => {
    expect(parseDiagnostics(sample('js'), { files: ['main.js'] })).toEqual([
      { path: 'main.js', line: 2, column: 22, endColumn: 23, severity: 'error', message: 'ReferenceError: undefinedName is not defined', source: 'node' },
    ]);
  });

  it('a SyntaxError (its stack is all node internals)', () => {
    expect(brief({ files: ['main.js'] }, sample('jssyn'))).toEqual([{ path: 'main.js', line: 2, column: 11, severity: 'error' }]);
  });

  it('an error thrown inside node: the first stack frame in the project', () => {
    // An earlier header of the project does not stand for an error thrown elsewhere.
    const found = parseDiagnostics(`/work/main.js:1\n${sample('jsthrow')}`, { files: ['main.js'] });
    expect(found.map((item) => [item.path, item.line, item.column, item.message])).toEqual([
      ['main.js', 2, 4, 'Error: ENOENT: no such file or directory, open \'/nope/missing.txt\''],
    ]);
  });
});

describe('paths', () => {
  it('maps the sandbox folder, relative paths and file URLs to project files', () => {
    const paths = new PathMapper(['main.py', 'src/util.py'], ['/work']);
    expect(paths.map('/work/src/util.py')).toBe('src/util.py');
    expect(paths.map('./src/../main.py')).toBe('main.py');
    expect(paths.map('file:///work/main.py')).toBe('main.py');
    expect(paths.map('/tmp/main.py')).toBeNull();
    expect(paths.map('../main.py')).toBeNull();
    expect(paths.map('node:internal/main')).toBeNull();
    expect(paths.mapByName('util.py')).toBe('src/util.py');
  });

  it('learns the workspace folder from a path that ends in the entry file', () => {
    const output = 'Traceback (most recent call last):\n  File "/tmp/cloudrun-sandboxes-0/ab12/work/main.py", line 4, in <module>\nValueError: bad\n';
    expect(brief({ files: ['main.py'] }, output)).toEqual([]);
    expect(brief({ files: ['main.py'], entry: 'main.py' }, output)).toEqual([{ path: 'main.py', line: 4, column: null, severity: 'error' }]);
  });

  it('colours and carriage returns (a terminal) do not hide a message', () => {
    const output = '\x1b[01m\x1b[Kmain.c:3:5:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kboom\r\n';
    expect(brief({ files: ['main.c'] }, output)).toEqual([{ path: 'main.c', line: 3, column: 5, severity: 'error' }]);
  });
});

/** The tools on this machine, run on broken programs the way languages.json runs them, in a folder of their own. */
describe('real compilers and interpreters', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cloudrun-diagnostics-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  const run = (file: string, text: string, command: string[]): string => {
    writeFileSync(join(folder, file), text);
    const result = spawnSync(command[0], command.slice(1), { cwd: folder, encoding: 'utf8', input: '', timeout: 60_000 });
    expect(result.status, `${command.join(' ')} should fail`).not.toBe(0);
    return `${result.stdout}${result.stderr}`;
  };

  it.skipIf(!has('gcc'))('gcc', () => {
    const output = run('main.c', '#include <stdio.h>\nint main(void) {\n    int unused;\n    return missing;\n}\n',
      ['gcc', '-std=c17', '-O2', '-Wall', '-pipe', '-o', 'main', 'main.c', '-lm']);
    const found = brief({ files: ['main.c'] }, output);
    expect(found[0]).toEqual({ path: 'main.c', line: 4, column: 12, severity: 'error' });
    expect(found).toContainEqual({ path: 'main.c', line: 3, column: 9, severity: 'warning' });
  });

  it.skipIf(!has('g++'))('g++', () => {
    const output = run('main.cpp', '#include <iostream>\nint main() {\n    std::cout << missing;\n}\n', ['g++', '-std=c++17', '-O2', '-pipe', '-o', 'main', 'main.cpp']);
    expect(brief({ files: ['main.cpp'] }, output)).toEqual([{ path: 'main.cpp', line: 3, column: 18, severity: 'error' }]);
  });

  it.skipIf(!has('javac'))('javac', () => {
    const output = run('Main.java', 'public class Main {\n    public static void main(String[] args) {\n        System.out.println(nope);\n    }\n}\n',
      ['javac', '-encoding', 'UTF-8', '-d', '.', 'Main.java']);
    expect(brief({ files: ['Main.java'] }, output)).toEqual([{ path: 'Main.java', line: 3, column: 28, severity: 'error' }]);
  });

  it.skipIf(!has('python3'))('python3, with a traceback through two files', () => {
    writeFileSync(join(folder, 'helper.py'), 'def half(n):\n    return n / 0\n');
    const main = 'import helper\n\nprint(helper.half(4))\n';
    const output = run('main.py', main, ['python3', '-u', 'main.py']);
    const helper = readFileSync(join(folder, 'helper.py'), 'utf8').split('\n');
    const found = parseDiagnostics(output, { files: ['main.py', 'helper.py'], entry: 'main.py', lineText: (path, line) => (path === 'helper.py' ? helper[line - 1] : null) });
    expect(found.map((item) => [item.path, item.line, item.message])).toEqual([['helper.py', 2, 'ZeroDivisionError: division by zero']]);
    const version = execFileSync('python3', ['-c', 'import sys; print(sys.version_info >= (3, 11))'], { encoding: 'utf8' }).trim();
    if (version === 'True') expect(found[0].column).toBe(12); // 3.11 and later mark the expression
    expect(brief({ files: ['main.py'] }, output)).toEqual([]); // the folder is not /work and the entry was not given
  });

  it.skipIf(!has('python3'))('python3: a syntax error in an imported module', () => {
    writeFileSync(join(folder, 'broken.py'), 'def f():\n    return (\n')
    const output = run('main.py', 'import broken\n', ['python3', '-u', 'main.py']);
    const broken = readFileSync(join(folder, 'broken.py'), 'utf8').split('\n');
    const options = { files: ['main.py', 'broken.py'], roots: [folder] };
    expect(brief({ ...options, lineText: (path, line) => (path === 'broken.py' ? broken[line - 1] : null) }, output))
      .toEqual([{ path: 'broken.py', line: 2, column: 12, severity: 'error' }]);
    expect(brief(options, output)).toEqual([{ path: 'broken.py', line: 2, column: null, severity: 'error' }]);
  });

  it.skipIf(!has('node'))('node, an ES module (file: URLs)', () => {
    const output = run('main.mjs', 'const a = {};\nexport function f() {\n  return a.b.c;\n}\nf();\n', ['node', 'main.mjs']);
    expect(brief({ files: ['main.mjs'], entry: 'main.mjs' }, output)).toEqual([{ path: 'main.mjs', line: 3, column: 14, severity: 'error' }]);
  });

  it.skipIf(!has('node'))('node', () => {
    const output = run('main.js', 'const a = 1;\nfunction f() {\n  return a.b.c;\n}\nf();\n', ['node', 'main.js']);
    expect(brief({ files: ['main.js'], roots: [folder] }, output)).toEqual([{ path: 'main.js', line: 3, column: 14, severity: 'error' }]);
  });
});
