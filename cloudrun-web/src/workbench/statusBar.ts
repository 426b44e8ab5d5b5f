/** The status bar: the run's state, its running time, exit code and peak memory; the cursor and the file's language. */
import { h } from '../dom';
import { formatBytes, formatMillis } from '../text';

export type Tone = 'ok' | 'warn' | 'error';

export interface Clock {
  now(): number;
  every(millis: number, tick: () => void): number;
  cancel(timer: number): void;
}

const browserClock: Clock = {
  now: () => performance.now(),
  every: (millis, tick) => window.setInterval(tick, millis),
  cancel: (timer) => clearInterval(timer),
};

export class StatusBar {
  private readonly run = h('span', { class: 'status-item', 'data-status': 'run' });
  /** Not announced: it ticks ten times a second while a program runs. */
  private readonly elapsed = h('span', { class: 'status-item', 'data-status': 'elapsed', 'aria-live': 'off' });
  private readonly exit = h('span', { class: 'status-item', 'data-status': 'exit' });
  private readonly memory = h('span', { class: 'status-item', 'data-status': 'memory' });
  private readonly editorItem = h('span', { class: 'status-item', 'data-status': 'editor', hidden: true });
  private readonly cursorItem = h('span', { class: 'status-item', 'data-status': 'cursor' });
  private readonly languageItem = h('span', { class: 'status-item', 'data-status': 'language' });
  /** The run's side is a polite live region (a screen reader says "OK", "exit 0"); the cursor's side is not. */
  readonly element = h('footer', { class: 'statusbar', 'aria-label': 'Status bar' },
    h('div', { class: 'status-left', role: 'status', 'aria-live': 'polite', 'aria-label': 'Run status' }, this.run, this.elapsed, this.exit, this.memory),
    h('div', { class: 'status-right' }, this.editorItem, this.cursorItem, this.languageItem));
  private startedAt = 0;
  private timer = 0;

  constructor(private readonly clock: Clock = browserClock) {}

  /** The run's state; a running one gets a dot and the `running` class. */
  runState(text: string, running: boolean, tone: Tone | null = null): void {
    this.run.textContent = running ? `● ${text}` : text;
    this.run.title = text;
    this.run.className = `status-item run-state${tone ? ` ${tone}` : ''}${running ? ' running' : ''}`;
  }

  /** A passing note ("Saved main.py") in the run state's place. */
  message(text: string): void {
    this.run.textContent = text;
    this.run.className = 'status-item run-state';
  }

  /** A run starts: the last one's exit code and memory go, the time counts up. */
  startClock(): void {
    this.startedAt = this.clock.now();
    this.exit.textContent = '';
    this.memory.textContent = '';
    this.clock.cancel(this.timer);
    this.timer = this.clock.every(100, () => {
      this.elapsed.textContent = formatMillis(this.clock.now() - this.startedAt);
    });
  }

  stopClock(): void {
    this.clock.cancel(this.timer);
  }

  /** Milliseconds since the clock started. */
  elapsedMs(): number {
    return this.clock.now() - this.startedAt;
  }

  /** The finished run's time, exit code and peak memory. */
  showResult(timeMs: number, exitCode: number | null, memoryBytes: number | null): void {
    this.elapsed.textContent = formatMillis(timeMs);
    this.exit.textContent = exitCode !== null ? `exit ${exitCode}` : '';
    this.memory.textContent = memoryBytes ? `${formatBytes(memoryBytes)} peak` : '';
  }

  /** Another project is open: nothing of the last one's run stays (state, time, exit code, memory). */
  reset(): void {
    this.stopClock();
    this.runState('Ready', false);
    this.elapsed.textContent = '';
    this.exit.textContent = '';
    this.memory.textContent = '';
  }

  /** Whether the code editor is still loading (it comes in its own download after sign-in). */
  editorLoading(loading: boolean): void {
    this.editorItem.textContent = loading ? 'Loading editor…' : '';
    this.editorItem.hidden = !loading;
  }

  cursor(line: number, column: number): void {
    this.cursorItem.textContent = `Ln ${line}, Col ${column}`;
  }

  language(name: string): void {
    this.languageItem.textContent = name;
  }

  dispose(): void {
    this.stopClock();
  }
}
