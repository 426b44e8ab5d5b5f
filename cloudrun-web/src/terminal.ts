/** The xterm.js terminal of the bottom panel: batched output, local line editing for stdin, themes. */
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { ANSI } from './ansi';
import { LineEditor, type LineAction } from './lineEditor';
import { OutputBuffer } from './outputBuffer';
import type { Stream } from './protocol';
import { terminalKeyUse } from './terminalKeys';

const DARK: ITheme = {
  background: '#1e1e1e', foreground: '#cccccc', cursor: '#cccccc', selectionBackground: '#264f78',
  black: '#000000', red: '#f14c4c', green: '#23d18b', yellow: '#f5f543', blue: '#3b8eea', magenta: '#d670d6',
  cyan: '#29b8db', white: '#e5e5e5', brightBlack: '#666666', brightRed: '#f14c4c', brightGreen: '#23d18b',
  brightYellow: '#f5f543', brightBlue: '#3b8eea', brightMagenta: '#d670d6', brightCyan: '#29b8db', brightWhite: '#e5e5e5',
};
const LIGHT: ITheme = {
  background: '#ffffff', foreground: '#333333', cursor: '#333333', selectionBackground: '#add6ff',
  black: '#000000', red: '#cd3131', green: '#00bc00', yellow: '#949800', blue: '#0451a5', magenta: '#bc05bc',
  cyan: '#0598bc', white: '#555555', brightBlack: '#666666', brightRed: '#cd3131', brightGreen: '#14ce14',
  brightYellow: '#b5ba00', brightBlue: '#0451a5', brightMagenta: '#bc05bc', brightCyan: '#0598bc', brightWhite: '#a5a5a5',
};

/** The terminals' colours for the IDE's dark and light themes. */
export const TERMINAL_THEMES: Record<'dark' | 'light', ITheme> = { dark: DARK, light: LIGHT };

export { ANSI };

export class RunTerminal {
  readonly xterm: Terminal;
  private readonly fit = new FitAddon();
  private readonly buffer: OutputBuffer;
  private readonly lineEditor = new LineEditor();
  /** Whether what was pushed so far ends a line (xterm's cursor lags behind the batched writes). */
  private atLineStart = true;
  /** A dim line over the terminal's bottom corner (the program waits for input); not part of the output. */
  private readonly hintLine = document.createElement('div');
  /** Set while a program runs: where typed lines go. */
  onInput: ((action: LineAction) => void) | null = null;
  /** Escape was pressed: the IDE moves the focus out of the terminal (terminalKeys.ts says which keys leave). */
  onLeave: (() => void) | null = null;
  /** Terminal mode: keystrokes go to the program's own terminal as typed, which echoes and edits the line. */
  private raw = false;

  constructor(host: HTMLElement, theme: 'dark' | 'light', fontSize: number) {
    this.xterm = new Terminal({
      convertEol: true,
      cursorBlink: true,
      fontFamily: "'Cascadia Mono', 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace",
      fontSize,
      scrollback: 5000,
      theme: theme === 'dark' ? DARK : LIGHT,
      allowProposedApi: false,
    });
    this.xterm.loadAddon(this.fit);
    this.xterm.open(host);
    this.hintLine.className = 'terminal-hint';
    this.hintLine.setAttribute('role', 'status');
    this.hintLine.hidden = true;
    host.appendChild(this.hintLine);
    this.xterm.textarea?.setAttribute('aria-label', 'Terminal: run output, and input while a program runs. Escape goes back to the editor.');
    // False leaves the key to the page: the terminal must not trap Tab, Shift+Tab or Escape.
    this.xterm.attachCustomKeyEventHandler((event) => {
      const use = terminalKeyUse(event, this.onInput !== null);
      if (use === 'leave' && event.type === 'keydown') {
        event.preventDefault();
        this.onLeave?.();
      }
      return use === 'terminal';
    });
    this.buffer = new OutputBuffer({ write: (data, done) => this.xterm.write(data, done) });
    this.xterm.onData((data) => {
      if (!this.onInput) return;
      if (this.raw) {
        this.onInput({ type: 'send', text: data });
        return;
      }
      for (const action of this.lineEditor.feed(data)) {
        if (action.type === 'echo') this.push(action.text);
        this.onInput?.(action);
      }
    });
    new ResizeObserver(() => this.resize()).observe(host);
  }

  resize(): void {
    try {
      if (this.xterm.element && this.xterm.element.offsetParent !== null) this.fit.fit();
    } catch {
      // Not laid out yet.
    }
  }

  setTheme(theme: 'dark' | 'light'): void {
    this.xterm.options.theme = theme === 'dark' ? DARK : LIGHT;
  }

  setFontSize(size: number): void {
    this.xterm.options.fontSize = size;
    this.resize();
  }

  /** Program output; stderr shows in red so it stands out from stdout. */
  output(stream: Stream, data: string): void {
    if (stream === 'stderr' || stream === 'compiler') {
      this.push(`${ANSI.red}${data}${ANSI.reset}`, data);
    } else if (stream === 'install') {
      this.push(`${ANSI.dim}${data}${ANSI.reset}`, data);
    } else {
      this.push(data);
    }
  }

  private push(data: string, visible = data): void {
    if (!data) return;
    this.buffer.push(data);
    if (visible) this.atLineStart = visible.endsWith('\n');
  }

  /** A line of the IDE's own (run header, result), on a line of its own. */
  note(text: string): void {
    this.push(`${this.atLineStart ? '' : '\r\n'}${text}\r\n`);
  }

  /** Shows `text` as the terminal's hint line, or hides it (null). */
  hint(text: string | null): void {
    this.hintLine.textContent = text ?? '';
    this.hintLine.hidden = text === null;
  }

  /**
   * Sends what is typed to the program: line by line, echoed and edited here (pipes), or with `raw`
   * every keystroke as typed, for a program on a terminal of its own (terminal mode), which echoes.
   */
  startInput(handler: (action: LineAction) => void, raw = false): void {
    this.lineEditor.reset();
    this.raw = raw;
    this.onInput = handler;
  }

  stopInput(): void {
    this.hint(null);
    this.onInput = null;
    this.raw = false;
    this.lineEditor.reset();
  }

  clear(): void {
    this.buffer.clear();
    this.atLineStart = true;
    this.xterm.clear();
    this.xterm.write('\x1b[2J\x1b[H');
  }

  focus(): void {
    this.xterm.focus();
  }

  whenIdle(): Promise<void> {
    return this.buffer.whenIdle();
  }
}
