// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Project } from '../api';
import type { LineAction } from '../lineEditor';
import type { RunResult, ServerMessage, StartOptions } from '../protocol';
import { LANGUAGES } from './fakes';
import { SaveError } from './editorTabs';
import { PROMPT_QUIET_MS, QUIET_MS } from './inputWait';
import { resultSummary, RunController, runTarget, WAITING_HINT, WAITING_STATUS, withReadableSizes, type RunConnection, type RunHost } from './runController';
import { StatusBar, type Clock } from './statusBar';

const ESC = /\x1b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ESC, '');

class FakeConnection implements RunConnection {
  isFinished = false;
  wasAccepted = false;
  readonly sent: string[] = [];

  constructor(readonly options: StartOptions, readonly deliver: (message: ServerMessage) => void, readonly close: (problem: string | null) => void) {}

  receive(message: ServerMessage): void {
    if (message.kind === 'accepted') this.wasAccepted = true;
    if (message.kind === 'finished') this.isFinished = true;
    this.deliver(message);
  }

  stdin(data: string): void { this.sent.push(`stdin ${data}`); }
  closeStdin(): void { this.sent.push('eof'); }
  stop(): void { this.sent.push('stop'); }
  dispose(): void { this.sent.push('dispose'); }
}

function result(changes: Partial<RunResult> = {}): RunResult {
  return { status: 'OK', exitCode: 0, signal: null, wallTimeMs: 1200, cpuTimeMs: 900, memoryBytes: 8 * 1024 * 1024,
    stdoutTruncated: false, stderrTruncated: false, message: null, missingDependencies: [], ...changes };
}

describe('run target', () => {
  const project: Project = { id: 'p', name: 'P', language: 'python', entry: 'main.py' };

  it('runs the project entry whichever tab is active', () => {
    expect(runTarget('helper.py', project, LANGUAGES)).toEqual({ entry: 'main.py', language: 'python' });
    expect(runTarget('tool.js', project, LANGUAGES)).toEqual({ entry: 'main.py', language: 'python' });
    expect(runTarget('notes.md', project, LANGUAGES)).toEqual({ entry: 'main.py', language: 'python' });
    expect(runTarget(null, project, LANGUAGES)).toEqual({ entry: 'main.py', language: 'python' });
    expect(runTarget('main.py', { ...project, entry: 'tool.js' }, LANGUAGES)).toEqual({ entry: 'tool.js', language: 'javascript' });
  });

  it('without an entry, or with one that is gone, runs the active file when it is runnable', () => {
    const gone = (path: string) => path !== 'main.py';
    expect(runTarget('tool.js', project, LANGUAGES, gone)).toEqual({ entry: 'tool.js', language: 'javascript' });
    expect(runTarget('helper.py', { ...project, entry: null }, LANGUAGES)).toEqual({ entry: 'helper.py', language: 'python' });
    expect(runTarget('notes.md', { ...project, entry: null }, LANGUAGES)).toBeNull();
    expect(runTarget('index.html', project, LANGUAGES, gone)).toBeNull();
  });

  it('adds a readable size to the byte counts of a server message', () => {
    expect(withReadableSizes('a file may hold at most 2097152 bytes')).toBe('a file may hold at most 2097152 bytes (2.0 MB)');
    expect(withReadableSizes('at most 12 bytes')).toBe('at most 12 bytes');
  });

  it('summarises a result in one line', () => {
    expect(resultSummary(result(), 1200)).toBe('OK · exit code 0 · 1.20 s · 8.0 MB peak memory');
    expect(resultSummary(result({ status: 'TIME_LIMIT', exitCode: null, memoryBytes: null }), 5000)).toBe('TIME_LIMIT · 5.00 s');
  });
});

describe('run controller', () => {
  let notes: string[];
  let output: Array<[string, string]>;
  let observed: string[];
  let toasts: string[];
  let connections: FakeConnection[];
  let input: ((action: LineAction) => void) | null;
  let rawInput: boolean | undefined;
  let stdinText: string;
  let saveFailure: Error | null;
  let html: boolean;
  let terminalMode: boolean;
  let project: Project | null;
  let active: string;
  let focused: string[];
  let hints: Array<string | null>;
  let now: number;
  let ticks: Array<() => void>;
  let status: StatusBar;
  let controller: RunController;

  const statusText = (name: string) => status.element.querySelector(`[data-status=${name}]`)!.textContent;
  const connection = () => connections[connections.length - 1];

  beforeEach(() => {
    notes = [];
    output = [];
    observed = [];
    toasts = [];
    connections = [];
    input = null;
    stdinText = '';
    saveFailure = null;
    html = false;
    terminalMode = false;
    project = { id: 'p1', name: 'Demo', language: 'python', entry: 'main.py' };
    active = 'main.py';
    focused = [];
    hints = [];
    now = 0;
    ticks = [];
    const clock: Clock = { now: () => now, every: (_millis, tick) => ticks.push(tick), cancel: () => { ticks = []; } };
    status = new StatusBar(clock);
    const host: RunHost = {
      project: () => project,
      activePath: () => active,
      hasFile: () => true,
      languages: () => LANGUAGES,
      isHtmlProject: () => html,
      saveAll: async () => { observed.push('saved'); if (saveFailure) throw saveFailure; },
      showPreview: async () => { observed.push('preview'); },
      stdin: () => stdinText,
      terminalMode: () => terminalMode,
      showTerminal: () => observed.push('terminal tab'),
      focusEditor: () => focused.push('editor'),
      token: () => 'token-1',
      sessionExpired: () => observed.push('expired'),
      reportError: (problem) => toasts.push(String(problem)),
      toast: (message) => toasts.push(message),
    };
    controller = new RunController({
      host,
      status,
      output: {
        note: (text) => notes.push(plain(text)),
        output: (stream, data) => output.push([stream, data]),
        startInput: (handler, raw) => { input = handler; rawInput = raw; },
        stopInput: () => { input = null; },
        hint: (text) => hints.push(text),
        focus: () => focused.push('terminal'),
      },
      observer: {
        runStarted: () => observed.push('ai started'),
        output: (stream, data) => observed.push(`ai ${stream} ${data}`),
        runFinished: (finished) => observed.push(`ai finished ${finished.status}`),
      },
      connect: (options, onMessage, onClosed) => {
        const created = new FakeConnection(options, onMessage, onClosed);
        connections.push(created);
        return created;
      },
    });
  });

  it('is ready and not running at first', () => {
    expect(statusText('run')).toBe('Ready');
    expect(document.body.dataset.running).toBe('false');
    expect(controller.runButton.disabled).toBe(false);
    expect(controller.stopButton.disabled).toBe(true);
  });

  it('says in the terminal and the status bar why a run did not start when saving failed', async () => {
    saveFailure = new Error('the request body is larger than 1048576 bytes');
    await controller.run();
    expect(connections).toHaveLength(0);
    expect(notes).toContain('✖ Not run: saving the project failed: the request body is larger than 1048576 bytes (1.0 MB)');
    expect(statusText('run')).toBe('Not run: save failed - the request body is larger than 1048576 bytes (1.0 MB)');
    expect(observed).toContain('terminal tab');
    expect(toasts).toHaveLength(1);
    expect(controller.running).toBe(false);
  });

  it('names the file that has unsaved changes it could not save, and the limit in a readable size', async () => {
    saveFailure = new SaveError('data.txt', new Error('a file may hold at most 2097152 bytes'));
    await controller.run();
    expect(connections).toHaveLength(0);
    expect(notes).toContain('✖ Not run: data.txt has unsaved changes that could not be saved: a file may hold at most 2097152 bytes (2.0 MB)');
    expect(statusText('run')).toBe('Not run: data.txt not saved - a file may hold at most 2097152 bytes (2.0 MB)');
    expect(status.element.querySelector('[data-status=run]')!.className).toBe('status-item run-state error');
  });

  it('runs the entry file, not the active tab', async () => {
    active = 'helper.py';
    await controller.run();
    expect(connection().options.entry).toBe('main.py');
    expect(notes).toEqual(['▶ main.py']);
  });

  it('saves, starts an interactive run of the entry file and shows its progress', async () => {
    await controller.run();
    expect(observed.slice(0, 3)).toEqual(['saved', 'terminal tab', 'ai started']);
    expect(connection().options).toEqual({ token: 'token-1', projectId: 'p1', entry: 'main.py', language: 'python', stdin: undefined, installPackages: [] });
    expect(notes).toEqual(['▶ main.py']);
    expect(statusText('run')).toBe('● Starting…');
    expect(document.body.dataset.running).toBe('true');
    expect(controller.runButton.disabled).toBe(true);
    expect(controller.stopButton.disabled).toBe(false);

    connection().receive({ kind: 'accepted', runId: 'r1' });
    expect(statusText('run')).toBe('● Queued');
    connection().receive({ kind: 'phase', phase: 'RUNNING' });
    expect(statusText('run')).toBe('● Running');
    now = 1500;
    ticks.forEach((tick) => tick());
    expect(statusText('elapsed')).toBe('1.50 s');

    connection().receive({ kind: 'output', stream: 'stdout', data: 'hello\n' });
    connection().receive({ kind: 'output', stream: 'stderr', data: 'oops\n' });
    expect(output).toEqual([['stdout', 'hello\n'], ['stderr', 'oops\n']]);
    expect(observed).toContain('ai stdout hello\n');

    connection().receive({ kind: 'finished', result: result() });
    expect(notes[notes.length - 1]).toBe('■ OK · exit code 0 · 1.20 s · 8.0 MB peak memory');
    expect(statusText('run')).toBe('OK');
    expect(status.element.querySelector('[data-status=run]')!.className).toBe('status-item run-state ok');
    expect(statusText('elapsed')).toBe('1.20 s');
    expect(statusText('exit')).toBe('exit 0');
    expect(statusText('memory')).toBe('8.0 MB peak');
    expect(document.body.dataset.running).toBe('false');
    expect(observed).toContain('ai finished OK');
    expect(ticks).toHaveLength(0);
    expect(input).toBeNull();
  });

  it('sends what is typed in the terminal as stdin; Ctrl+D closes it, Ctrl+C stops the run', async () => {
    await controller.run();
    input!({ type: 'echo', text: 'A' });
    input!({ type: 'send', text: 'Ada\n' });
    input!({ type: 'eof' });
    expect(connection().sent).toEqual(['stdin Ada\n', 'eof']);
    input!({ type: 'interrupt' });
    expect(connection().sent).toEqual(['stdin Ada\n', 'eof', 'stop']);
    expect(statusText('run')).toBe('● Stopping…');
  });

  it('gives the Input tab\'s text up front instead of reading the terminal', async () => {
    stdinText = '20\n22\n';
    await controller.run();
    expect(connection().options.stdin).toBe('20\n22\n');
    expect(input).toBeNull();
    expect(notes).toEqual(['▶ main.py with input from the Input tab']);
  });

  it('offers to install a missing package and re-runs with it', async () => {
    await controller.run();
    connection().receive({ kind: 'accepted', runId: 'r1' });
    connection().receive({ kind: 'missingDependency', packages: ['numpy'], message: null });
    expect(controller.installButton.hidden).toBe(false);
    expect(controller.installButton.textContent).toBe('Install numpy & Re-run');
    connection().receive({ kind: 'finished', result: result({ status: 'RUNTIME_ERROR', exitCode: 1, missingDependencies: ['numpy', 'pandas'] }) });
    expect(controller.installButton.textContent).toBe('Install numpy, pandas & Re-run');
    expect(status.element.querySelector('[data-status=run]')!.className).toBe('status-item run-state error');

    controller.installButton.click();
    await Promise.resolve();
    await Promise.resolve();
    expect(connections).toHaveLength(2);
    expect(connection().options.installPackages).toEqual(['numpy', 'pandas']);
    expect(controller.installButton.hidden).toBe(true);
    expect(notes).toContain('▶ main.py (installing numpy, pandas)');
    connection().receive({ kind: 'installStarted', packages: ['numpy', 'pandas'] });
    connection().receive({ kind: 'installFinished', packages: ['numpy', 'pandas'], success: true, message: 'Installed numpy, pandas' });
    expect(notes.slice(-2)).toEqual(['⬇ Installing numpy, pandas…', '✔ Installed numpy, pandas']);
  });

  it('warns when output was dropped and shows the server\'s message of a failed run', async () => {
    await controller.run();
    connection().receive({ kind: 'finished', result: result({ status: 'OUTPUT_LIMIT', exitCode: null, message: 'Output limit of 1 MB reached' }) });
    expect(notes).toContain('⚠ The program wrote more output than the server keeps; the rest was dropped.');
    expect(notes).toContain('Output limit of 1 MB reached');
    expect(toasts).toEqual(['Output limit reached: the rest of the output was dropped.']);
    expect(statusText('exit')).toBe('');
  });

  it('an error before the run was accepted means it never started', async () => {
    await controller.run();
    connection().receive({ kind: 'error', code: 'unauthorized', message: 'Sign in again' });
    expect(notes).toContain('✖ Sign in again');
    expect(observed).toContain('expired');
    expect(statusText('run')).toBe('Not started');
    expect(document.body.dataset.running).toBe('false');
    expect(input).toBeNull();
  });

  it('a connection lost before the result says so', async () => {
    await controller.run();
    connection().receive({ kind: 'accepted', runId: 'r1' });
    connection().close('the connection closed (code 1006)');
    expect(notes).toContain('✖ The run ended without a result: the connection closed (code 1006).');
    expect(statusText('run')).toBe('Disconnected');
    expect(controller.running).toBe(false);
  });

  it('refuses a second run while one is running, and runs without a project', async () => {
    await controller.run();
    await controller.run();
    expect(toasts).toEqual(['A program is already running. Stop it first.']);
    expect(connections).toHaveLength(1);
    project = null;
    connection().receive({ kind: 'finished', result: result() });
    await controller.run();
    expect(toasts).toContain('Open a project first.');
  });

  it('an HTML project refreshes its preview instead of running', async () => {
    html = true;
    await controller.run();
    expect(observed).toEqual(['saved', 'preview']);
    expect(connections).toHaveLength(0);
    expect(statusText('run')).toBe('Preview refreshed');
  });

  it('does not run when saving failed', async () => {
    controller = new RunController({
      host: { ...({} as RunHost), project: () => project, saveAll: async () => { throw new Error('disk full'); },
        showTerminal: () => {}, reportError: (problem) => toasts.push(String(problem)), toast: (message) => toasts.push(message) },
      status, output: { note: () => {}, output: () => {}, startInput: () => {}, stopInput: () => {}, hint: () => {}, focus: () => {} },
      observer: { runStarted: () => {}, output: () => {}, runFinished: () => {} },
      connect: () => { throw new Error('must not connect'); },
    });
    await controller.run();
    expect(toasts).toEqual(['Error: disk full']);
    expect(statusText('run')).toBe('Not run: save failed - disk full');
  });

  describe('waiting for input', () => {
    beforeEach(() => { vi.useFakeTimers(); });
    afterEach(() => { vi.useRealTimers(); delete document.body.dataset.waitingForInput; });

    const running = async () => {
      await controller.run();
      connection().receive({ kind: 'accepted', runId: 'r1' });
      connection().receive({ kind: 'phase', phase: 'RUNNING' });
    };

    it('a prompt and a short quiet: the status bar and the terminal say the program waits, until a line is sent', async () => {
      await running();
      connection().receive({ kind: 'output', stream: 'stdout', data: 'What is your name? ' });
      vi.advanceTimersByTime(PROMPT_QUIET_MS);
      expect(statusText('run')).toBe(`● ${WAITING_STATUS.prompt}`);
      expect(hints).toEqual([WAITING_HINT.prompt]);
      expect(document.body.dataset.waitingForInput).toBe('prompt');
      expect(focused.at(-1)).toBe('terminal');

      input!({ type: 'send', text: 'Ada\n' });
      expect(hints).toEqual([WAITING_HINT.prompt, null]);
      expect(statusText('run')).toBe('● Running');
      expect(document.body.dataset.waitingForInput).toBeUndefined();
      connection().receive({ kind: 'output', stream: 'stdout', data: 'Hello, Ada!\n' });
      connection().receive({ kind: 'finished', result: result() });
      expect(statusText('run')).toBe('OK');
      // The run is over: the editor has the focus again.
      expect(focused.at(-1)).toBe('editor');
    });

    it('only quiet: it may be waiting; output ends the wait', async () => {
      await running();
      connection().receive({ kind: 'output', stream: 'stdout', data: 'working\n' });
      vi.advanceTimersByTime(QUIET_MS);
      expect(statusText('run')).toBe(`● ${WAITING_STATUS.quiet}`);
      connection().receive({ kind: 'output', stream: 'stdout', data: 'done\n' });
      expect(statusText('run')).toBe('● Running');
      expect(hints).toEqual([WAITING_HINT.quiet, null]);
    });

    it('not while the program queues or compiles, nor with its input given up front, nor after Ctrl+D', async () => {
      await controller.run();
      connection().receive({ kind: 'accepted', runId: 'r1' });
      connection().receive({ kind: 'phase', phase: 'COMPILING' });
      vi.advanceTimersByTime(5 * QUIET_MS);
      expect(hints).toEqual([]);
      connection().receive({ kind: 'phase', phase: 'RUNNING' });
      input!({ type: 'eof' });
      vi.advanceTimersByTime(5 * QUIET_MS);
      expect(hints).toEqual([]);
      connection().receive({ kind: 'finished', result: result() });

      stdinText = 'Ada\n';
      await running();
      connection().receive({ kind: 'output', stream: 'stdout', data: 'What is your name? ' });
      vi.advanceTimersByTime(5 * QUIET_MS);
      expect(hints).toEqual([]);
      expect(statusText('run')).toBe('● Running');
      // Its input was given up front: the terminal did not take the focus.
      expect(focused).toEqual(['terminal', 'editor']);
    });

    it('the end of the run ends the wait', async () => {
      await running();
      connection().receive({ kind: 'output', stream: 'stdout', data: 'Name? ' });
      vi.advanceTimersByTime(PROMPT_QUIET_MS);
      connection().receive({ kind: 'finished', result: result({ status: 'TIME_LIMIT', exitCode: null }) });
      expect(statusText('run')).toBe('TIME_LIMIT');
      expect(hints.at(-1)).toBeNull();
      expect(document.body.dataset.waitingForInput).toBeUndefined();
    });
  });

  it('asks for terminal mode when the setting is on, and shows output in seq order', async () => {
    terminalMode = true;
    await controller.run();
    expect(connection().options.terminal).toBe(true);
    // Keystrokes go as typed: the program's terminal echoes them.
    expect(rawInput).toBe(true);
    input!({ type: 'send', text: 'A' });
    expect(connection().sent).toEqual(['stdin A']);
    connection().receive({ kind: 'accepted', runId: 'r1' });
    connection().receive({ kind: 'output', stream: 'stdout', data: 'out0\n', seq: 1 });
    connection().receive({ kind: 'output', stream: 'stdout', data: 'out1\n', seq: 3 });
    expect(output).toEqual([['stdout', 'out0\n']]);
    connection().receive({ kind: 'output', stream: 'stderr', data: 'err0\n', seq: 2 });
    connection().receive({ kind: 'output', stream: 'stderr', data: 'err1\n', seq: 5 });
    expect(output).toEqual([['stdout', 'out0\n'], ['stderr', 'err0\n'], ['stdout', 'out1\n']]);
    // A message still missing at the end: what is held shows before the result line.
    connection().receive({ kind: 'finished', result: result() });
    expect(output[output.length - 1]).toEqual(['stderr', 'err1\n']);
    expect(observed.filter((entry) => entry.startsWith('ai std'))).toEqual(
      ['ai stdout out0\n', 'ai stderr err0\n', 'ai stdout out1\n', 'ai stderr err1\n']);
  });

  it('leaves terminal mode out when the setting is off', async () => {
    await controller.run();
    expect(connection().options).not.toHaveProperty('terminal');
    expect(rawInput).toBe(false);
  });
});
