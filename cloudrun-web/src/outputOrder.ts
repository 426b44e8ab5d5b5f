/**
 * Puts a run's output messages back in the order the program wrote them. Every output message of
 * the run protocol carries `seq`, 1, 2, 3... per run (docs/protocol.md, "Output order and terminal
 * mode"); a message that arrives after a gap is held until the missing ones come. The hold is
 * bounded: past `maxHeld` messages the gap is given up and what is held is shown in order, so a lost
 * message never stops the output. Messages without `seq` (an older server) are shown at once.
 */
import type { Stream } from './protocol';

export interface SequencedOutput {
  stream: Stream;
  data: string;
  seq?: number | null;
}

export class OutputSequencer {
  private next = 1;
  private readonly held = new Map<number, SequencedOutput>();

  constructor(private readonly deliver: (output: SequencedOutput) => void, private readonly maxHeld = 256) {}

  /** How many messages wait for a missing one. */
  get waiting(): number {
    return this.held.size;
  }

  push(output: SequencedOutput): void {
    const seq = output.seq;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      this.deliver(output);
      return;
    }
    if (seq < this.next) {
      // Late (after its gap was given up) or repeated: better shown late than lost.
      this.deliver(output);
      return;
    }
    this.held.set(seq, output);
    this.drain();
    if (this.held.size > this.maxHeld) {
      this.next = Math.min(...this.held.keys());
      this.drain();
    }
  }

  /** Shows everything still held, in `seq` order (the run finished: nothing more will come). */
  flush(): void {
    for (const seq of [...this.held.keys()].sort((a, b) => a - b)) {
      const output = this.held.get(seq)!;
      this.held.delete(seq);
      this.next = seq + 1;
      this.deliver(output);
    }
  }

  private drain(): void {
    let output = this.held.get(this.next);
    while (output) {
      this.held.delete(this.next);
      this.next++;
      this.deliver(output);
      output = this.held.get(this.next);
    }
  }
}
