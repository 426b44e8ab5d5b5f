/**
 * Tells when a running program is probably waiting for input. A program's stdin is a pipe, and
 * nothing on the server can tell a blocked read() from a sleep, so the IDE judges from what it sees:
 * while stdin is open, output that stops without ending its line (a prompt such as
 * "What is your name? ") followed by {@link PROMPT_QUIET_MS} of quiet, or no output at all for
 * {@link QUIET_MS}, is a wait. New output or a line sent to the program ends the wait.
 */

/** Quiet after a prompt (output not ending in a newline) before the IDE says the program waits for input. */
export const PROMPT_QUIET_MS = 300;
/** Quiet after a finished line (or no output yet) before the IDE says the program may be waiting for input. */
export const QUIET_MS = 1500;

/** Why the detector thinks the program waits: it wrote a prompt, or it has only been quiet. */
export type WaitReason = 'prompt' | 'quiet';

export interface WaitTimers {
  after(millis: number, fire: () => void): unknown;
  cancel(timer: unknown): void;
}

const browserTimers: WaitTimers = {
  after: (millis, fire) => setTimeout(fire, millis),
  cancel: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

export interface InputWaitEvents {
  /** The program seems to wait for input. Told once per wait. */
  waiting(reason: WaitReason): void;
  /** The wait is over: output resumed, input was sent, or the run ended. */
  resumed(): void;
}

export class InputWaitDetector {
  private timer: unknown = null;
  private watching = false;
  private waitingNow = false;
  private endsLine = true;

  constructor(private readonly events: InputWaitEvents, private readonly timers: WaitTimers = browserTimers) {}

  /** Whether the program is thought to be waiting for input now. */
  get waiting(): boolean {
    return this.waitingNow;
  }

  /** The program runs with its stdin open: from now on, quiet counts. */
  start(): void {
    this.watching = true;
    this.endsLine = true;
    this.arm();
  }

  /** The program wrote `data` (stdout or stderr). */
  output(data: string): void {
    if (!this.watching || data.length === 0) return;
    this.endsLine = data.endsWith('\n');
    this.resume();
    this.arm();
  }

  /** A line went to the program: it has its answer, and quiet counts again from now. */
  inputSent(): void {
    if (!this.watching) return;
    this.endsLine = true;
    this.resume();
    this.arm();
  }

  /** Stdin was closed (Ctrl+D) or the run ended: the program can wait for input no more. */
  stop(): void {
    this.watching = false;
    this.cancel();
    this.resume();
  }

  private arm(): void {
    this.cancel();
    const reason: WaitReason = this.endsLine ? 'quiet' : 'prompt';
    this.timer = this.timers.after(reason === 'prompt' ? PROMPT_QUIET_MS : QUIET_MS, () => {
      this.timer = null;
      if (!this.watching || this.waitingNow) return;
      this.waitingNow = true;
      this.events.waiting(reason);
    });
  }

  private cancel(): void {
    if (this.timer !== null) this.timers.cancel(this.timer);
    this.timer = null;
  }

  private resume(): void {
    if (!this.waitingNow) return;
    this.waitingNow = false;
    this.events.resumed();
  }
}
