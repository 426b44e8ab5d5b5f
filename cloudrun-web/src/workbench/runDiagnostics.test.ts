// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { Monaco } from '../editor';
import type { RunResult } from '../protocol';
import { MARKER_OWNER, problemsText, RunDiagnostics } from './runDiagnostics';

/** A text model with the few methods the markers use, named like the editor tabs' models (cloudrun:/project/path). */
class FakeModel {
  readonly uri: { scheme: string; path: string };
  private readonly lines: string[];
  disposed = false;

  constructor(path: string, text: string) {
    this.uri = { scheme: 'cloudrun', path };
    this.lines = text.split('\n');
  }

  getLineCount(): number { return this.lines.length; }
  getLineContent(line: number): string { return this.lines[line - 1]; }
  getLineMaxColumn(line: number): number { return this.lines[line - 1].length + 1; }
  getLineFirstNonWhitespaceColumn(line: number): number {
    const text = this.lines[line - 1];
    return text.trim() ? text.length - text.trimStart().length + 1 : 0;
  }
  getWordAtPosition(position: { lineNumber: number; column: number }): { word: string; startColumn: number; endColumn: number } | null {
    const text = this.lines[position.lineNumber - 1];
    for (const match of text.matchAll(/\w+/g)) {
      const start = match.index! + 1;
      if (position.column >= start && position.column <= start + match[0].length) return { word: match[0], startColumn: start, endColumn: start + match[0].length };
    }
    return null;
  }
  isDisposed(): boolean { return this.disposed; }
}

/** Monaco's marker calls, recorded per model and owner. */
function fakeMonaco(models: FakeModel[]) {
  const markers = new Map<FakeModel, Map<string, unknown[]>>();
  const listeners: Array<(model: FakeModel) => void> = [];
  const monaco = {
    MarkerSeverity: { Hint: 1, Info: 2, Warning: 4, Error: 8 },
    editor: {
      getModels: () => models,
      setModelMarkers: (model: FakeModel, owner: string, list: unknown[]) => {
        if (!markers.has(model)) markers.set(model, new Map());
        markers.get(model)!.set(owner, list);
      },
      onDidCreateModel: (listener: (model: FakeModel) => void) => {
        listeners.push(listener);
        return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
      },
    },
  };
  return {
    monaco: monaco as unknown as Monaco,
    markersOf: (model: FakeModel) => (markers.get(model)?.get(MARKER_OWNER) ?? []) as Array<Record<string, unknown>>,
    create: (model: FakeModel) => { models.push(model); for (const listener of [...listeners]) listener(model); },
    listeners,
  };
}

function result(status: string): RunResult {
  return { status, exitCode: status === 'OK' ? 0 : 1, signal: null, wallTimeMs: 10, cpuTimeMs: 5, memoryBytes: null,
    stdoutTruncated: false, stderrTruncated: false, message: null, missingDependencies: [] };
}

const TRACEBACK = 'Traceback (most recent call last):\n  File "/work/main.py", line 3, in <module>\n    print(helper.half(4))\n'
  + '          ^^^^^^^^^^^^^^\n  File "/work/helper.py", line 2, in half\n    return n / 0\n           ~~^~~\nZeroDivisionError: division by zero\n';

function setUp(files = ['main.py', 'helper.py']) {
  const main = new FakeModel('/p1/main.py', 'import helper\n\nprint(helper.half(4))');
  const fake = fakeMonaco([main]);
  const revealed: string[] = [];
  const diagnostics = new RunDiagnostics({
    monaco: () => fake.monaco,
    projectId: () => 'p1',
    files: () => files,
    reveal: (path, line, column) => revealed.push(`${path}:${line}:${column}`),
  });
  return { main, fake, diagnostics, revealed };
}

describe('run diagnostics', () => {
  it('marks the failing line of an open file, and of a file opened later with its column', () => {
    const { main, fake, diagnostics } = setUp();
    diagnostics.runStarted('main.py');
    diagnostics.output('stdout', 'working\n');
    diagnostics.output('stderr', TRACEBACK);
    expect(diagnostics.runFinished(result('RUNTIME_ERROR')).map((item) => `${item.path}:${item.line}`)).toEqual(['helper.py:2']);
    expect(fake.markersOf(main)).toEqual([]);

    const helper = new FakeModel('/p1/helper.py', 'def half(n):\n    return n / 0');
    fake.create(helper);
    expect(fake.markersOf(helper)).toEqual([{ severity: 8, message: 'ZeroDivisionError: division by zero', source: 'python',
      startLineNumber: 2, startColumn: 12, endLineNumber: 2, endColumn: 17 }]);
    // Another project's model of the same name is not this run's.
    const other = new FakeModel('/p2/helper.py', 'x = 1\ny = 2');
    fake.create(other);
    expect(fake.markersOf(other)).toEqual([]);
  });

  it('the caller\'s frame when the helper is not a project file', () => {
    const { main, fake, diagnostics } = setUp(['main.py']);
    diagnostics.runStarted('main.py');
    diagnostics.output('stderr', TRACEBACK);
    diagnostics.runFinished(result('RUNTIME_ERROR'));
    expect(fake.markersOf(main)).toEqual([expect.objectContaining({ startLineNumber: 3, startColumn: 7, endColumn: 21, severity: 8 })]);
  });

  it('a frame without a known column marks the line\'s text; the status bar counts and links to the first error', () => {
    const { main, fake, diagnostics, revealed } = setUp(['main.py']);
    diagnostics.runStarted('main.py');
    // Python before 3.11 prints no carets under a frame's line.
    diagnostics.output('stderr', TRACEBACK.split('\n').filter((line) => !/^\s+[~^]+$/.test(line)).join('\n'));
    diagnostics.runFinished(result('RUNTIME_ERROR'));
    expect(fake.markersOf(main)).toEqual([expect.objectContaining({ startLineNumber: 3, startColumn: 1, endColumn: 22, severity: 8 })]);
    expect(diagnostics.statusItem.hidden).toBe(false);
    expect(diagnostics.statusItem.textContent).toBe('⊗ 1 ⚠ 0');
    expect(diagnostics.statusItem.getAttribute('aria-label')).toBe('1 error, 0 warnings in the last run; go to the first');
    diagnostics.statusItem.click();
    expect(revealed).toEqual(['main.py:3:1']);
  });

  it('the next run\'s start clears the markers and stops waiting for models', () => {
    const { main, fake, diagnostics } = setUp(['main.py']);
    diagnostics.runStarted('main.py');
    diagnostics.output('stderr', TRACEBACK);
    diagnostics.runFinished(result('RUNTIME_ERROR'));
    expect(fake.markersOf(main)).toHaveLength(1);
    expect(fake.listeners).toHaveLength(1);
    diagnostics.runStarted('main.py');
    expect(fake.markersOf(main)).toEqual([]);
    expect(fake.listeners).toHaveLength(0);
    expect(diagnostics.statusItem.hidden).toBe(true);
    diagnostics.runFinished(result('OK'));
    expect(diagnostics.problems).toEqual([]);
  });

  it('a passing run shows its compiler\'s warnings, not what the program wrote to stderr', () => {
    const main = new FakeModel('/p1/main.c', '#include <stdio.h>\nint main(void) {\n    int unused;\n    return 0;\n}');
    const fake = fakeMonaco([main]);
    const diagnostics = new RunDiagnostics({ monaco: () => fake.monaco, projectId: () => 'p1', files: () => ['main.c'], reveal: () => {} });
    diagnostics.runStarted('main.c');
    diagnostics.output('compiler', "main.c: In function 'main':\nmain.c:3:9: warning: unused variable 'unused' [-Wunused-variable]\n");
    diagnostics.output('stderr', 'main.c:4:1: error: printed by the program\n');
    diagnostics.runFinished(result('OK'));
    expect(fake.markersOf(main)).toEqual([{ severity: 4, message: "unused variable 'unused' [-Wunused-variable]", source: 'gcc',
      startLineNumber: 3, startColumn: 9, endLineNumber: 3, endColumn: 15 }]);
    expect(diagnostics.statusItem.textContent).toBe('⊗ 0 ⚠ 1');
    expect(diagnostics.first()?.line).toBe(3);
  });

  it('before Monaco has loaded, the problems are kept and nothing breaks', () => {
    const diagnostics = new RunDiagnostics({ monaco: () => null, projectId: () => 'p1', files: () => ['main.py'], reveal: () => {} });
    diagnostics.runStarted('main.py');
    diagnostics.output('stderr', TRACEBACK);
    expect(diagnostics.runFinished(result('RUNTIME_ERROR'))).toHaveLength(1);
    expect(diagnostics.runEntry).toBe('main.py');
  });

  it('counts in words', () => {
    expect(problemsText(1, 2)).toBe('1 error, 2 warnings');
    expect(problemsText(0, 1)).toBe('0 errors, 1 warning');
  });
});
