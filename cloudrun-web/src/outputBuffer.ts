/**
 * Feeds program output to the terminal at most once per animation frame and at most
 * `maxCharsPerFrame` at a time, waiting for the terminal to parse what it was given, so that
 * megabytes of output keep the page responsive instead of freezing it.
 */
export interface TerminalSink {
  write(data: string, callback: () => void): void;
}

export class OutputBuffer {
  private chunks: string[] = [];
  /** Index of the first chunk not written yet (shifting a long array for every chunk would be quadratic). */
  private head = 0;
  private pendingChars = 0;
  private scheduled = false;
  private writing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly sink: TerminalSink,
    private readonly schedule: (callback: () => void) => void = (callback) => requestAnimationFrame(() => callback()),
    private readonly maxCharsPerFrame = 256 * 1024,
  ) {}

  get pending(): number {
    return this.pendingChars;
  }

  push(data: string): void {
    if (!data) return;
    this.chunks.push(data);
    this.pendingChars += data.length;
    this.kick();
  }

  /** Forgets what was not written yet (the terminal is being cleared). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.pendingChars = 0;
    this.notifyIdle();
  }

  /** Resolves once everything pushed so far is in the terminal. */
  whenIdle(): Promise<void> {
    if (this.pendingChars === 0 && !this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.head >= this.chunks.length) {
      this.notifyIdle();
      return;
    }
    const parts: string[] = [];
    let size = 0;
    while (this.head < this.chunks.length && size < this.maxCharsPerFrame) {
      const chunk = this.chunks[this.head];
      const room = this.maxCharsPerFrame - size;
      if (chunk.length <= room) {
        parts.push(chunk);
        size += chunk.length;
        this.head++;
      } else {
        parts.push(chunk.slice(0, room));
        size += room;
        this.chunks[this.head] = chunk.slice(room);
      }
    }
    if (this.head >= this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    }
    const batch = parts.join('');
    this.pendingChars -= batch.length;
    this.writing = true;
    this.sink.write(batch, () => {
      this.writing = false;
      if (this.head < this.chunks.length) this.kick();
      else this.notifyIdle();
    });
  }

  private notifyIdle(): void {
    if (this.pendingChars > 0 || this.writing) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((resolve) => resolve());
  }
}
