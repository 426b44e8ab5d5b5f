/**
 * Where the keyboard's focus jumps between the workbench's parts: Escape in the terminal and Ctrl+`
 * (as in VS Code) go to the editor, Ctrl+Shift+E to the explorer, Ctrl+` from elsewhere to the terminal
 * (the run terminal or a shell, whichever the panel shows). In a shell only Ctrl+` leaves: Escape is the
 * program's (vi).
 */

export interface FocusTargets {
  /** The code editor when a file is open in it, else null. */
  openEditor(): { focus(): void } | null;
  /** Shows the explorer and puts the focus in it. */
  showExplorer(): void;
  /** The element the terminal lives in (the focus is "in the terminal" inside it). */
  terminalHost(): HTMLElement;
  /** The element the shells live in, when there is one. */
  shellHost?(): HTMLElement;
  /** Shows the panel's Terminal tab (or its Shell tab, when that is the one showing) and focuses it. */
  focusTerminal(): void;
}

export class FocusMoves {
  constructor(private readonly targets: FocusTargets) {}

  /** The editor takes the focus; with no file open, the explorer does. */
  editor(): void {
    const editor = this.targets.openEditor();
    if (editor) editor.focus();
    else this.targets.showExplorer();
  }

  explorer(): void {
    this.targets.showExplorer();
  }

  /** From the terminal to the editor, from anywhere else to the terminal. */
  toggleTerminal(): void {
    const active = document.activeElement;
    if (this.targets.terminalHost().contains(active) || this.targets.shellHost?.().contains(active)) this.editor();
    else this.targets.focusTerminal();
  }
}
