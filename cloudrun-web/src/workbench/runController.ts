/**
 * Run and Stop: saves the files, starts a run over the run WebSocket, turns the server's messages
 * into terminal lines and status changes, sends what is typed in the terminal as stdin, and offers
 * "Install … & Re-run" when the program misses a package. While an interactive run is quiet it says
 * that the program waits for input ({@link InputWaitDetector}).
 */
import { ANSI } from '../ansi';
import type { Project } from '../api';
import { h, icon } from '../dom';
import type { LineAction } from '../lineEditor';
import { extension, languageOfFile, type LanguageInfo } from '../paths';
import { OutputSequencer } from '../outputOrder';
import { statusTone, type RunResult, type ServerMessage, type StartOptions, type Stream } from '../protocol';
import { RunSession } from '../runner';
import { formatBytes, formatMillis } from '../text';
import { SaveError } from './editorTabs';
import { InputWaitDetector, type WaitReason } from './inputWait';
import type { Tone } from './statusBar';

/** The status bar's words while a program waits for input (a prompt was seen, or it has only been quiet). */
export const WAITING_STATUS: Record<WaitReason, string> = {
  prompt: 'Waiting for input - type in the terminal and press Enter (Ctrl+D ends input)',
  quiet: 'Quiet - it may be waiting for input: type in the terminal and press Enter (Ctrl+D ends input)',
};
/** The dim hint the terminal shows (over its corner, not in the program's output) while the program waits. */
export const WAITING_HINT: Record<WaitReason, string> = {
  prompt: '⌨ waiting for input: type and press Enter (Ctrl+D ends input)',
  quiet: '⌨ no output for a while: if it is waiting for input, type and press Enter',
};

/** What a run writes to (the xterm terminal in the IDE). */
export interface RunOutput {
  note(text: string): void;
  output(stream: Stream, data: string): void;
  /** With `raw` (terminal mode), every keystroke goes as typed, unechoed: the program's terminal echoes. */
  startInput(handler: (action: LineAction) => void, raw?: boolean): void;
  stopInput(): void;
  /** Shows a transient hint where the program's next output goes (null removes it). */
  hint(text: string | null): void;
  focus(): void;
}

/** Where a run shows its state and time (the status bar). */
export interface RunStatus {
  runState(text: string, running: boolean, tone?: Tone | null): void;
  message(text: string): void;
  startClock(): void;
  stopClock(): void;
  elapsedMs(): number;
  showResult(timeMs: number, exitCode: number | null, memoryBytes: number | null): void;
}

/** One run's connection to the server (a {@link RunSession}). */
export interface RunConnection {
  readonly isFinished: boolean;
  readonly wasAccepted: boolean;
  stdin(data: string): void;
  closeStdin(): void;
  stop(): void;
  dispose(): void;
}

export type ConnectRun = (options: StartOptions, onMessage: (message: ServerMessage) => void,
                          onClosed: (problem: string | null) => void) => RunConnection;

/** Told about each run (the AI assistant keeps the last one's output and result). */
export interface RunObserver {
  /** A run of `entry` (a project file) starts. */
  runStarted(entry: string): void;
  output(stream: Stream, data: string): void;
  runFinished(result: RunResult): void;
}

export interface RunHost {
  project(): Project | null;
  activePath(): string | null;
  /** Whether the open project has a file at `path`. */
  hasFile(path: string): boolean;
  languages(): LanguageInfo[];
  isHtmlProject(): boolean;
  saveAll(): Promise<void>;
  /** Shows the HTML preview and waits for it to be rebuilt. */
  showPreview(): Promise<void>;
  /** The text of the Input tab, given to the program up front ('' for interactive input). */
  stdin(): string;
  /** Whether runs use terminal mode (one pseudo-terminal, output in exact order); off when absent. */
  terminalMode?(): boolean;
  showTerminal(): void;
  /** A run ended: the editor gets the focus back (unless the person has moved it elsewhere). */
  focusEditor(): void;
  token(): string;
  sessionExpired(): void;
  reportError(problem: unknown): void;
  toast(message: string, tone: 'info' | 'error'): void;
}

export interface RunControllerOptions {
  host: RunHost;
  output: RunOutput;
  status: RunStatus;
  observer: RunObserver;
  connect?: ConnectRun;
}

/**
 * The file a run starts from and its language: the project's entry file (whichever tab is active),
 * else, when the project has no entry or it is gone, the active file if it is runnable.
 */
export function runTarget(activePath: string | null, project: Project, languages: LanguageInfo[],
                          hasFile: (path: string) => boolean = () => true): { entry: string; language: string | undefined } | null {
  const activeLanguage = activePath ? languageOfFile(activePath, languages) : undefined;
  const activeRunnable = activePath && activeLanguage && !activeLanguage.previewOnly ? activePath : null;
  const entry = project.entry && hasFile(project.entry) ? project.entry : activeRunnable;
  if (!entry) return null;
  return { entry, language: languageOfFile(entry, languages)?.id ?? project.language ?? undefined };
}

/** The result line's parts: "OK · exit code 0 · 1.20 s · 8.0 MB peak memory". */
export function resultSummary(result: RunResult, timeMs: number): string {
  return [result.status, result.exitCode !== null ? `exit code ${result.exitCode}` : null, formatMillis(timeMs),
    result.memoryBytes ? `${formatBytes(result.memoryBytes)} peak memory` : null].filter(Boolean).join(' · ');
}

export class RunController {
  readonly runButton = h('button', { class: 'button run', type: 'button', title: 'Run (Ctrl+Enter)', 'aria-keyshortcuts': 'Control+Enter', 'data-action': 'run' });
  readonly stopButton = h('button', { class: 'button stop', type: 'button', title: 'Stop (Ctrl+Shift+S)', 'aria-label': 'Stop', 'aria-keyshortcuts': 'Control+Shift+S', 'data-action': 'stop', disabled: true });
  readonly installButton = h('button', { class: 'button install', type: 'button', hidden: true, 'data-action': 'install-rerun' });
  private session: RunConnection | null = null;
  private lastMissing: string[] = [];
  /** Whether the running program reads what is typed in the terminal (no input given up front). */
  private interactive = false;
  private readonly inputWait = new InputWaitDetector({
    waiting: (reason) => this.showWaiting(reason),
    resumed: () => this.endWaiting(),
  });
  /** Puts the current run's output back in `seq` order. */
  private order = new OutputSequencer((output) => this.showOutput(output.stream, output.data));
  private readonly host: RunHost;
  private readonly output: RunOutput;
  private readonly status: RunStatus;
  private readonly observer: RunObserver;
  private readonly connect: ConnectRun;

  constructor(options: RunControllerOptions) {
    this.host = options.host;
    this.output = options.output;
    this.status = options.status;
    this.observer = options.observer;
    this.connect = options.connect ?? ((start, onMessage, onClosed) => new RunSession(start, onMessage, onClosed));
    this.runButton.append(icon('run', 14), h('span', { text: 'Run' }));
    this.runButton.addEventListener('click', () => void this.run());
    this.stopButton.append(icon('stop', 14), h('span', { text: 'Stop' }));
    this.stopButton.addEventListener('click', () => this.stop());
    this.installButton.addEventListener('click', () => void this.run(this.lastMissing));
    this.setRunState('Ready', false);
  }

  get running(): boolean {
    return this.session !== null && !this.session.isFinished;
  }

  /** Runs the project's entry file (or the active one when it has none); an HTML project refreshes its preview instead. */
  async run(installPackages: string[] = []): Promise<void> {
    if (!this.host.project()) { this.host.toast('Open a project first.', 'error'); return; }
    if (this.running) { this.host.toast('A program is already running. Stop it first.', 'error'); return; }
    try {
      await this.host.saveAll();
    } catch (problem) {
      // Said where the user looks for the run (terminal and status bar), not only in a toast.
      const why = withReadableSizes(problem instanceof SaveError ? problem.reason : problem instanceof Error ? problem.message : String(problem));
      this.host.showTerminal();
      if (problem instanceof SaveError) {
        this.output.note(`${ANSI.red}✖ Not run: ${problem.path} has unsaved changes that could not be saved: ${why}${ANSI.reset}`);
        this.setRunState(`Not run: ${problem.path} not saved - ${why}`, false, 'error');
      } else {
        this.output.note(`${ANSI.red}✖ Not run: saving the project failed: ${why}${ANSI.reset}`);
        this.setRunState(`Not run: save failed - ${why}`, false, 'error');
      }
      this.host.reportError(problem);
      return;
    }
    const project = this.host.project();
    if (!project) return;
    const active = this.host.activePath();
    if (this.host.isHtmlProject() || (active && ['.html', '.htm'].includes(extension(active)))) {
      await this.host.showPreview();
      this.status.message('Preview refreshed');
      return;
    }
    const target = runTarget(active, project, this.host.languages(), (path) => this.host.hasFile(path));
    if (!target) { this.host.toast('Open the file you want to run.', 'error'); return; }
    const { entry, language } = target;
    const stdin = this.host.stdin();
    this.interactive = !stdin;
    this.installButton.hidden = true;
    this.lastMissing = [];
    this.host.showTerminal();
    this.output.note(`${ANSI.cyan}▶ ${entry}${installPackages.length ? ` (installing ${installPackages.join(', ')})` : ''}${stdin ? ' with input from the Input tab' : ''}${ANSI.reset}`);
    this.setRunState('Starting…', true);
    this.status.startClock();
    this.observer.runStarted(entry);
    this.order = new OutputSequencer((output) => this.showOutput(output.stream, output.data));
    const terminal = this.host.terminalMode?.() ?? false;
    const session = this.connect({ token: this.host.token(), projectId: project.id, entry, language, stdin: stdin || undefined, installPackages,
      ...(terminal ? { terminal } : {}) },
      (message) => this.onMessage(message),
      (problem) => this.onClosed(session, problem));
    this.session = session;
    if (!stdin) {
      this.output.startInput((action) => {
        if (action.type === 'send') { this.inputWait.inputSent(); session.stdin(action.text); }
        else if (action.type === 'eof') { this.inputWait.stop(); session.closeStdin(); }
        else if (action.type === 'interrupt') this.stop();
      }, terminal);
      // Typing goes to the program; with its input given up front there is nothing to type.
      this.output.focus();
    }
  }

  stop(): void {
    if (!this.session || this.session.isFinished) return;
    this.setRunState('Stopping…', true);
    this.session.stop();
  }

  /** Asks the server to stop the run without showing it (the person is logging out). */
  stopQuietly(): void {
    this.session?.stop();
  }

  private onMessage(message: ServerMessage): void {
    switch (message.kind) {
      case 'accepted':
        this.setRunState('Queued', true);
        break;
      case 'phase':
        this.setRunState(message.phase.charAt(0) + message.phase.slice(1).toLowerCase(), message.phase !== 'FINISHED');
        // Quiet counts once the program itself runs (not while it queues or compiles) and reads the terminal.
        if (message.phase === 'RUNNING' && this.interactive && this.session && !this.session.isFinished) this.inputWait.start();
        break;
      case 'output':
        this.order.push(message);
        break;
      case 'missingDependency':
        this.offerInstall(message.packages);
        break;
      case 'installStarted':
        this.output.note(`${ANSI.cyan}⬇ Installing ${message.packages.join(', ')}…${ANSI.reset}`);
        break;
      case 'installFinished':
        this.output.note(message.success
          ? `${ANSI.green}✔ ${message.message}${ANSI.reset}`
          : `${ANSI.red}✖ ${message.message}${ANSI.reset}`);
        break;
      case 'error':
        this.output.note(`${ANSI.red}✖ ${message.message}${ANSI.reset}`);
        if (message.code === 'unauthorized') this.host.sessionExpired();
        if (this.session && !this.session.wasAccepted) {
          this.inputWait.stop();
          this.status.stopClock();
          this.output.stopInput();
          this.setRunState('Not started', false, 'error');
        }
        break;
      case 'authenticated':
        break;
      case 'finished':
        this.order.flush();
        this.finish(message.result);
        break;
    }
  }

  private showOutput(stream: Stream, data: string): void {
    if (stream === 'stdout' || stream === 'stderr') this.inputWait.output(data);
    this.output.output(stream, data);
    this.observer.output(stream, data);
  }

  private offerInstall(packages: string[]): void {
    const fresh = packages.filter((name) => name && !this.lastMissing.includes(name));
    if (fresh.length === 0) return;
    this.lastMissing = [...this.lastMissing, ...fresh];
    this.installButton.textContent = `Install ${this.lastMissing.join(', ')} & Re-run`;
    this.installButton.hidden = false;
  }

  private finish(result: RunResult): void {
    this.inputWait.stop();
    this.status.stopClock();
    this.output.stopInput();
    const time = result.wallTimeMs ?? this.status.elapsedMs();
    const tone = statusTone(result.status);
    const colour = tone === 'ok' ? ANSI.green : tone === 'warn' ? ANSI.yellow : ANSI.red;
    if (result.status === 'OUTPUT_LIMIT' || result.stdoutTruncated || result.stderrTruncated) {
      this.output.note(`${ANSI.yellow}⚠ The program wrote more output than the server keeps; the rest was dropped.${ANSI.reset}`);
      this.host.toast('Output limit reached: the rest of the output was dropped.', 'error');
    }
    if (result.message && result.status !== 'OK') this.output.note(`${ANSI.dim}${result.message}${ANSI.reset}`);
    this.output.note(`${colour}■ ${resultSummary(result, time)}${ANSI.reset}`);
    if (result.missingDependencies.length > 0) {
      // The result is authoritative (package names rather than module names when the server knows them).
      this.lastMissing = [];
      this.offerInstall(result.missingDependencies);
    }
    this.setRunState(result.status, false, tone);
    this.observer.runFinished(result);
    this.status.showResult(time, result.exitCode, result.memoryBytes);
    this.host.focusEditor();
  }

  /** The program seems to wait for input: the status bar and the terminal say so, and typing goes to the terminal. */
  private showWaiting(reason: WaitReason): void {
    if (!this.running) return;
    this.status.runState(WAITING_STATUS[reason], true, 'warn');
    document.body.dataset.waitingForInput = reason;
    this.output.hint(WAITING_HINT[reason]);
    this.output.focus();
  }

  private endWaiting(): void {
    delete document.body.dataset.waitingForInput;
    this.output.hint(null);
    if (this.running) this.setRunState('Running', true);
  }

  private onClosed(session: RunConnection, problem: string | null): void {
    if (this.session !== session) return;
    this.inputWait.stop();
    if (problem) {
      this.status.stopClock();
      this.output.stopInput();
      this.output.note(`${ANSI.red}✖ The run ended without a result: ${problem}.${ANSI.reset}`);
      this.setRunState('Disconnected', false, 'error');
    }
    this.session = null;
  }

  private setRunState(text: string, running: boolean, tone: Tone | null = null): void {
    this.status.runState(text, running, tone);
    document.body.dataset.running = String(running);
    this.runButton.disabled = running;
    this.stopButton.disabled = !running;
  }

  dispose(): void {
    this.inputWait.stop();
    this.status.stopClock();
    this.session?.dispose();
  }
}

/** The server's byte counts with a size a person reads: "at most 2097152 bytes" -> "at most 2097152 bytes (2.0 MB)". */
export function withReadableSizes(text: string): string {
  return text.replace(/\b(\d{4,}) bytes\b(?! \()/g, (whole, digits: string) => `${whole} (${formatBytes(Number(digits))})`);
}
