/**
 * The History tab of the bottom panel: the open project's recent runs (status, time, duration,
 * memory, entry file), refreshed after each run; a row shows that run's kept output in the terminal.
 * Opening a project restores its last run's output in the terminal, so a reload loses nothing.
 */
import { ANSI } from '../ansi';
import type { KeptOutput, RunSummary } from '../api';
import { clear, h, icon } from '../dom';
import { statusTone, type Stream } from '../protocol';
import { formatBytes, formatMillis } from '../text';

/** How many runs the tab lists. */
export const HISTORY_LIMIT = 20;

/** Where the runs come from (the server's `GET /api/runs` and `GET /api/runs/{id}/output`). */
export interface HistorySource {
  runs(projectId: string, limit: number): Promise<RunSummary[]>;
  runOutput(runId: string): Promise<KeptOutput>;
}

/** Where a kept output is written again (the terminal). */
export interface ReplayTarget {
  note(text: string): void;
  output(stream: Stream, data: string): void;
}

export interface HistoryHost {
  /** Whether a program runs now: its live output must not mix with an old run's. */
  running(): boolean;
  showTerminal(): void;
  toast(message: string, tone: 'info' | 'error'): void;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** A run's start, for people: the time of day when it was today, else the date and the time (local time). */
export function formatWhen(millis: number, now: number = Date.now()): string {
  const at = new Date(millis);
  const today = new Date(now);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  if (at.toDateString() === today.toDateString()) return time;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time.slice(0, 5)}`;
}

/** Writes a kept output under a dim header line, stream by stream in the order the program wrote it. */
export function replayOutput(target: ReplayTarget, header: string, output: KeptOutput): void {
  target.note(`${ANSI.dim}${header}${ANSI.reset}`);
  for (const chunk of output.chunks) target.output(chunk.stream, chunk.data);
  if (!output.kept) target.note(`${ANSI.dim}(the server kept no output of this run)${ANSI.reset}`);
  else if (output.truncated) target.note(`${ANSI.dim}… the rest of the output was past what the server keeps${ANSI.reset}`);
}

export class HistoryView {
  private readonly list = h('ul', { class: 'history-list', 'aria-label': 'Recent runs' });
  readonly element = h('div', { class: 'history-pane', 'data-testid': 'history' });
  private projectId: string | null = null;
  /** Counts loads, so that an answer for a project no longer open is dropped. */
  private generation = 0;
  private rows: RunSummary[] = [];

  constructor(private readonly source: HistorySource, private readonly target: ReplayTarget, private readonly host: HistoryHost,
              private readonly now: () => number = Date.now) {
    this.element.append(h('div', { class: 'history-header' },
      h('span', { class: 'history-title', text: 'Recent runs of this project' }),
      h('button', { class: 'icon-button', type: 'button', title: 'Refresh', 'aria-label': 'Refresh run history',
        onclick: () => void this.refresh() }, icon('refresh'))),
    h('div', { class: 'history-columns', 'aria-hidden': 'true' },
      ...['Status', 'Started', 'Duration', 'Memory', 'Entry'].map((name) => h('span', { text: name }))), this.list);
    this.showEmpty('Open a project to see its runs.');
  }

  /** The runs listed now, newest first. */
  get runs(): readonly RunSummary[] {
    return this.rows;
  }

  /** A project was opened: lists its runs and, when `restore` is set, replays its last finished run's output. */
  async open(projectId: string | null, restore: boolean): Promise<void> {
    this.projectId = projectId;
    await this.refresh();
    const last = this.rows[0];
    if (!restore || !last || last.status === 'RUNNING' || this.projectId !== projectId) return;
    try {
      const output = await this.source.runOutput(last.id);
      if (this.projectId !== projectId || this.host.running()) return;
      if (!output.kept || output.chunks.length === 0) return;
      replayOutput(this.target, `Last run, ${formatWhen(last.startedAtMillis, this.now())}: ${last.status}`, output);
    } catch {
      // Restoring is a convenience: the history tab says what went wrong when the person looks.
    }
  }

  /** Lists the open project's runs again (after a run, or when the tab is shown). */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    const projectId = this.projectId;
    if (!projectId) {
      this.rows = [];
      this.showEmpty('Open a project to see its runs.');
      return;
    }
    try {
      const runs = await this.source.runs(projectId, HISTORY_LIMIT);
      if (generation !== this.generation) return;
      this.rows = runs;
      this.render();
    } catch (problem) {
      if (generation !== this.generation) return;
      this.rows = [];
      this.showEmpty(`Could not load the run history: ${problem instanceof Error ? problem.message : String(problem)}`);
    }
  }

  private showEmpty(text: string): void {
    clear(this.list);
    this.list.append(h('li', { class: 'empty', text }));
  }

  private render(): void {
    if (this.rows.length === 0) {
      this.showEmpty('No runs of this project yet. Press Run.');
      return;
    }
    clear(this.list);
    const now = this.now();
    for (const run of this.rows) {
      const running = run.status === 'RUNNING';
      const tone = running ? 'running' : statusTone(run.status);
      const when = formatWhen(run.startedAtMillis, now);
      const duration = run.wallTimeMs !== undefined ? formatMillis(run.wallTimeMs) : '';
      const memory = run.memoryBytes ? formatBytes(run.memoryBytes) : '';
      const label = [run.status, when, duration, memory, run.entryPath].filter(Boolean).join(', ');
      const row = h('button', {
        class: 'history-row', type: 'button', 'data-run-id': run.id, 'data-status': run.status, title: run.message ?? '',
        'aria-label': `${label}: show its output in the terminal`, onclick: () => void this.show(run),
      },
      h('span', { class: `history-status tone-${tone}`, text: running ? `● ${run.status}` : run.status }),
      h('span', { class: 'history-time', text: when }),
      h('span', { class: 'history-duration', text: duration }),
      h('span', { class: 'history-memory', text: memory }),
      h('span', { class: 'history-entry', text: run.entryPath ?? '' }));
      this.list.append(h('li', {}, row));
    }
  }

  /** Shows one run's kept output in the terminal. */
  async show(run: RunSummary): Promise<void> {
    if (this.host.running()) {
      this.host.toast('A program is running: show an earlier run\'s output when it has finished.', 'info');
      return;
    }
    if (run.status === 'RUNNING') {
      this.host.toast('This run is still going; its output is kept when it ends.', 'info');
      return;
    }
    try {
      const output = await this.source.runOutput(run.id);
      this.host.showTerminal();
      replayOutput(this.target, `Run of ${formatWhen(run.startedAtMillis, this.now())}: ${run.status}`, output);
    } catch (problem) {
      this.host.toast(`Could not load that run's output: ${problem instanceof Error ? problem.message : String(problem)}`, 'error');
    }
  }
}
