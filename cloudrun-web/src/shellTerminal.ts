/**
 * The xterm.js terminal of a shell: a real terminal emulator for a program on a pseudo-terminal (the
 * pty echoes and translates line ends, so nothing is converted here), fitted to its panel, with the
 * keys a shell needs (Escape and Tab go to the program), Ctrl+Shift+C / Ctrl+Shift+V to copy and
 * paste, and no way for the program to write to the clipboard or type into its own input.
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { TERMINAL_THEMES } from './terminal';

/** A terminal that has given the program room for more than this is dropping output (a program writing without end). */
export const MAX_PENDING_CHARS = 4 * 1024 * 1024;

/**
 * Stops what a program could do to the browser or the shell's input through escape sequences.
 * xterm.js itself has no OSC 52 (clipboard) handler; the clipboard addon would add one, and it is not
 * loaded. The OSC 52 handler registered here swallows the sequence all the same, so that a later change
 * cannot give the sandbox the clipboard by accident. DECRQSS (`DCS $ q … ST`) would be answered by
 * xterm.js as if typed; the answer is swallowed too. Window reports (`CSI … t`) stay off (xterm.js's
 * `windowOptions` default: all false). Cursor position and device attribute reports stay: readline,
 * vi and less ask for them, and their answers are fixed-format numbers.
 */
export function hardenTerminal(xterm: Pick<Terminal, 'parser'>): void {
  xterm.parser.registerOscHandler(52, () => true);
  xterm.parser.registerDcsHandler({ intermediates: '$', final: 'q' }, () => true);
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/**
 * A bracketed paste with the paste markers taken out of the pasted text: xterm.js wraps a paste in
 * them as it is, so copied text holding `ESC [201~` would end the paste early and have the shell run
 * what follows as typed. Other input is returned as it is.
 */
export function safePaste(data: string): string {
  if (data.length < PASTE_START.length + PASTE_END.length || !data.startsWith(PASTE_START) || !data.endsWith(PASTE_END)) return data;
  const inner = data.slice(PASTE_START.length, data.length - PASTE_END.length);
  return PASTE_START + inner.split(PASTE_START).join('').split(PASTE_END).join('') + PASTE_END;
}

export type ShellKeyUse = 'copy' | 'paste' | 'terminal';

type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/**
 * What a key press in a shell is for. Escape, Tab and Ctrl+C go to the program (vi needs Escape, the
 * shell completes with Tab; Ctrl+` leaves the shell, see shortcuts.ts); Ctrl+Shift+C copies the selection,
 * Ctrl+Shift+V pastes.
 */
export function shellKeyUse(event: KeyPress): ShellKeyUse {
  if (event.ctrlKey && event.shiftKey && !event.altKey && !event.metaKey) {
    const key = event.key.toLowerCase();
    if (key === 'c') return 'copy';
    if (key === 'v') return 'paste';
  }
  return 'terminal';
}

export interface ShellTerminalEvents {
  /** Keystrokes or pasted text for the shell. */
  data(data: string): void;
  /** The terminal was fitted to a new number of columns and rows. */
  resized(cols: number, rows: number): void;
}

export class ShellTerminal {
  readonly xterm: Terminal;
  private readonly fit = new FitAddon();
  private pendingChars = 0;
  private skippedChars = 0;
  private readonly observer: ResizeObserver;

  constructor(private readonly host: HTMLElement, theme: 'dark' | 'light', fontSize: number, events: ShellTerminalEvents) {
    this.xterm = new Terminal({
      cursorBlink: true,
      fontFamily: "'Cascadia Mono', 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace",
      fontSize,
      scrollback: 5000,
      theme: TERMINAL_THEMES[theme],
      allowProposedApi: false,
    });
    hardenTerminal(this.xterm);
    this.xterm.loadAddon(this.fit);
    this.xterm.open(host);
    this.xterm.textarea?.setAttribute('aria-label', 'Shell: a terminal in the project\'s workspace. Ctrl+` goes back to the editor.');
    this.xterm.attachCustomKeyEventHandler((event) => {
      const use = shellKeyUse(event);
      if (use === 'terminal') return true;
      if (event.type !== 'keydown') return false;
      // Ctrl+Shift+V is left to the browser: its paste event reaches xterm's textarea (no clipboard permission needed).
      if (use === 'copy') {
        event.preventDefault();
        void this.copySelection();
      }
      return false;
    });
    this.xterm.onData((data) => events.data(safePaste(data)));
    this.xterm.onResize(({ cols, rows }) => events.resized(cols, rows));
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(host);
  }

  get cols(): number { return this.xterm.cols; }
  get rows(): number { return this.xterm.rows; }

  /** Fits the terminal to its panel, when it is shown. */
  resize(): void {
    try {
      if (this.xterm.element && this.host.offsetParent !== null) this.fit.fit();
    } catch {
      // Not laid out yet.
    }
  }

  /**
   * Output of the shell. Past {@link MAX_PENDING_CHARS} not yet drawn, output is skipped (a program
   * writing gigabytes would otherwise fill the page's memory) and a line says how much.
   */
  write(data: string): void {
    if (this.pendingChars > MAX_PENDING_CHARS) {
      this.skippedChars += data.length;
      return;
    }
    if (this.skippedChars > 0) {
      const skipped = this.skippedChars;
      this.skippedChars = 0;
      this.note(`[${Math.round(skipped / 1024)} KiB of output skipped: it came faster than it could be shown]`);
    }
    this.pendingChars += data.length;
    this.xterm.write(data, () => { this.pendingChars -= data.length; });
  }

  /** A line of the IDE's own, dim, on a line of its own. */
  note(text: string): void {
    this.xterm.write(`\r\n\x1b[2m${text}\x1b[0m\r\n`);
  }

  /** Forgets the screen and scrollback (the server replays the shell's recent output after a re-attach). */
  reset(): void {
    this.xterm.reset();
  }

  clear(): void {
    this.xterm.clear();
  }

  focus(): void {
    this.xterm.focus();
  }

  setTheme(theme: 'dark' | 'light'): void {
    this.xterm.options.theme = TERMINAL_THEMES[theme];
  }

  setFontSize(size: number): void {
    this.xterm.options.fontSize = size;
    this.resize();
  }

  private async copySelection(): Promise<void> {
    const text = this.xterm.getSelection();
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No async clipboard (a page not served over https or from localhost): the browser's copy command.
      document.execCommand('copy');
    }
  }

  dispose(): void {
    this.observer.disconnect();
    this.xterm.dispose();
  }
}

