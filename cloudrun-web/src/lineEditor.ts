/**
 * Turns keystrokes typed into the terminal while a program runs into what the program should get.
 * A program's stdin is a pipe, not a TTY, so the IDE does what a terminal's line discipline would:
 * echo locally, let Backspace edit the line, send the line on Enter, Ctrl+D for end of input and
 * Ctrl+C to stop. In terminal mode the program has a terminal of its own, whose line discipline does
 * all this, and the IDE's terminal passes keystrokes on as typed instead (RunTerminal.startInput).
 */

export type LineAction =
  | { type: 'echo'; text: string }
  | { type: 'send'; text: string }
  | { type: 'eof' }
  | { type: 'interrupt' };

export class LineEditor {
  private line = '';

  /** The line typed so far and not yet sent. */
  get pending(): string {
    return this.line;
  }

  reset(): void {
    this.line = '';
  }

  /** What to do with data from xterm's onData (a keystroke or a paste). */
  feed(data: string): LineAction[] {
    const actions: LineAction[] = [];
    let echo = '';
    const flushEcho = () => {
      if (echo) actions.push({ type: 'echo', text: echo });
      echo = '';
    };
    const chars = Array.from(data);
    for (let index = 0; index < chars.length; index++) {
      const char = chars[index];
      if (char === '\x1b') {
        // Escape sequences (arrows, function keys) do not edit the line; skip the whole sequence.
        if (chars[index + 1] === '[' || chars[index + 1] === 'O') {
          index += 2;
          while (index < chars.length && !/[A-Za-z~]/.test(chars[index])) index++;
        }
        continue;
      }
      if (char === '\r' || char === '\n') {
        if (char === '\n' && chars[index - 1] === '\r') continue;
        echo += '\r\n';
        flushEcho();
        actions.push({ type: 'send', text: `${this.line}\n` });
        this.line = '';
      } else if (char === '\x7f' || char === '\b') {
        if (this.line.length > 0) {
          const removed = Array.from(this.line);
          removed.pop();
          this.line = removed.join('');
          echo += '\b \b';
        }
      } else if (char === '\x04') {
        flushEcho();
        if (this.line.length > 0) {
          actions.push({ type: 'send', text: this.line });
          this.line = '';
        } else {
          actions.push({ type: 'eof' });
        }
      } else if (char === '\x03') {
        flushEcho();
        echo = '^C\r\n';
        flushEcho();
        this.line = '';
        actions.push({ type: 'interrupt' });
      } else if (char === '\x15') {
        // Ctrl+U: erase the line.
        echo += '\b \b'.repeat(Array.from(this.line).length);
        this.line = '';
      } else if (char === '\t' || char >= ' ') {
        this.line += char;
        echo += char;
      }
    }
    flushEcho();
    return actions;
  }
}
