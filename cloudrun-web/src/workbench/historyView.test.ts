// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { KeptOutput, RunSummary } from '../api';
import type { Stream } from '../protocol';
import { formatWhen, HISTORY_LIMIT, HistoryView, type HistorySource } from './historyView';

const NOW = new Date(2026, 11, 1, 15, 30, 0).getTime();
const at = (hours: number, minutes: number, seconds: number) => new Date(2026, 11, 1, hours, minutes, seconds).getTime();

const RUNS: RunSummary[] = [
  { id: 'r2', language: 'python', entryPath: 'main.py', via: 'websocket', status: 'RUNTIME_ERROR', exitCode: 1, wallTimeMs: 1250,
    memoryBytes: 8 * 1024 * 1024, startedAtMillis: at(15, 20, 5), finishedAtMillis: at(15, 20, 6) },
  { id: 'r1', language: 'python', entryPath: 'main.py', via: 'websocket', status: 'OK', exitCode: 0, wallTimeMs: 40,
    memoryBytes: 2048, startedAtMillis: at(9, 1, 2), finishedAtMillis: at(9, 1, 3) },
];

const OUTPUTS: Record<string, KeptOutput> = {
  r2: { runId: 'r2', status: 'RUNTIME_ERROR', kept: true, truncated: true,
    chunks: [{ stream: 'stdout', data: 'Name? ' }, { stream: 'stderr', data: 'Traceback\n' }, { stream: 'stdout', data: 'after\n' }] },
  r1: { runId: 'r1', status: 'OK', kept: true, truncated: false, chunks: [{ stream: 'stdout', data: 'hi\n' }] },
};

class FakeHistory implements HistorySource {
  readonly calls: string[] = [];
  byProject: Record<string, RunSummary[]> = { p1: RUNS, p2: [] };
  /** Answers held back until released, to test answers that come late. */
  held: Array<() => void> | null = null;

  async runs(projectId: string, limit: number): Promise<RunSummary[]> {
    this.calls.push(`runs ${projectId} ${limit}`);
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    const runs = this.byProject[projectId];
    if (!runs) throw new Error('the server answered 500');
    return runs;
  }

  async runOutput(runId: string): Promise<KeptOutput> {
    this.calls.push(`output ${runId}`);
    return OUTPUTS[runId];
  }
}

function view(running = false) {
  const source = new FakeHistory();
  const written: string[] = [];
  const toasts: string[] = [];
  let terminalShown = 0;
  const state = { running };
  const history = new HistoryView(source, {
    note: (text) => written.push(`note:${text}`),
    output: (stream: Stream, data) => written.push(`${stream}:${data}`),
  }, {
    running: () => state.running,
    showTerminal: () => { terminalShown++; },
    toast: (message) => toasts.push(message),
  }, () => NOW);
  const rows = () => [...history.element.querySelectorAll<HTMLButtonElement>('.history-row')];
  const cells = (row: HTMLElement) => [...row.querySelectorAll('span')].map((span) => span.textContent);
  return { source, history, written, toasts, state, rows, cells, terminalShown: () => terminalShown };
}

describe('history view', () => {
  it('lists the project\'s runs newest first with a coloured status, time, duration, memory and entry', async () => {
    const { history, source, rows, cells } = view();
    await history.open('p1', false);

    expect(source.calls).toEqual([`runs p1 ${HISTORY_LIMIT}`]);
    expect(rows().map((row) => row.dataset.runId)).toEqual(['r2', 'r1']);
    expect(cells(rows()[0])).toEqual(['RUNTIME_ERROR', '15:20:05', '1.25 s', '8.0 MB', 'main.py']);
    expect(cells(rows()[1])).toEqual(['OK', '09:01:02', '40 ms', '2.0 KB', 'main.py']);
    expect(rows()[0].querySelector('.history-status')!.className).toBe('history-status tone-error');
    expect(rows()[1].querySelector('.history-status')!.className).toBe('history-status tone-ok');
    expect(rows()[0].getAttribute('aria-label')).toBe('RUNTIME_ERROR, 15:20:05, 1.25 s, 8.0 MB, main.py: show its output in the terminal');
  });

  it('says when a project has no runs yet, and why the list could not load', async () => {
    const { history, rows } = view();
    await history.open('p2', true);
    expect(rows()).toHaveLength(0);
    expect(history.element.textContent).toContain('No runs of this project yet.');
    await history.open('gone', true);
    expect(history.element.textContent).toContain('Could not load the run history: the server answered 500');
  });

  it('restores the last run\'s output under a dim header, in the order it was written, when a project opens', async () => {
    const { history, written, source } = view();
    await history.open('p1', true);

    expect(source.calls).toEqual([`runs p1 ${HISTORY_LIMIT}`, 'output r2']);
    expect(written).toEqual([
      'note:\x1b[2mLast run, 15:20:05: RUNTIME_ERROR\x1b[0m',
      'stdout:Name? ', 'stderr:Traceback\n', 'stdout:after\n',
      'note:\x1b[2m… the rest of the output was past what the server keeps\x1b[0m',
    ]);
  });

  it('restores nothing while a program runs, when not asked to, or when the last run is still going', async () => {
    const running = view(true);
    await running.history.open('p1', true);
    expect(running.written).toEqual([]);

    const notAsked = view();
    await notAsked.history.open('p1', false);
    expect(notAsked.written).toEqual([]);

    const going = view();
    going.source.byProject.p1 = [{ ...RUNS[0], status: 'RUNNING', wallTimeMs: undefined }, RUNS[1]];
    await going.history.open('p1', true);
    expect(going.written).toEqual([]);
    expect(going.source.calls).not.toContain('output r2');
    expect(going.cells(going.rows()[0])[0]).toBe('● RUNNING');
    expect(going.rows()[0].querySelector('.history-status')!.className).toBe('history-status tone-running');
  });

  it('shows a clicked run\'s output in the terminal, but not while a program runs', async () => {
    const { history, rows, written, state, toasts, source, terminalShown } = view();
    await history.open('p1', false);

    rows()[1].click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(terminalShown()).toBe(1);
    expect(written).toEqual(['note:\x1b[2mRun of 09:01:02: OK\x1b[0m', 'stdout:hi\n']);

    state.running = true;
    rows()[0].click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(source.calls.filter((call) => call === 'output r2')).toHaveLength(0);
    expect(toasts).toEqual(['A program is running: show an earlier run\'s output when it has finished.']);
    expect(written).toHaveLength(2);
  });

  it('drops a late answer for a project that is no longer open', async () => {
    const { history, source, rows } = view();
    source.held = [];
    const first = history.open('p1', true);
    const second = history.open('p2', true);
    await Promise.resolve();
    // The newer answer comes first; the older one must not replace it.
    [...source.held].reverse().forEach((release) => release());
    await Promise.all([first, second]);
    expect(rows()).toHaveLength(0);
    expect(history.element.textContent).toContain('No runs of this project yet.');
    expect(source.calls).not.toContain('output r2');
  });

  it('writes the time of day for today\'s runs and the date for older ones', () => {
    expect(formatWhen(at(7, 5, 9), NOW)).toBe('07:05:09');
    expect(formatWhen(new Date(2026, 10, 30, 23, 59, 1).getTime(), NOW)).toBe('2026-11-30 23:59');
  });
});
