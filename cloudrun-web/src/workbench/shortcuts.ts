/** The workbench's keyboard shortcuts: which key does what, and the list F1 shows. */
import { h, openModal } from '../dom';

export const SHORTCUTS: Array<[string, string]> = [
  ['Ctrl/Cmd + Enter', 'Run the program (or refresh the HTML preview)'],
  ['Ctrl/Cmd + Shift + S', 'Stop the running program'],
  ['Ctrl/Cmd + K', 'Clear the terminal'],
  ['Ctrl/Cmd + S', 'Save the file to the server'],
  ['Ctrl + C (in the terminal)', 'Stop the running program'],
  ['Ctrl + D (in the terminal)', 'Close the program\'s input (end of file)'],
  ['Ctrl + `', 'Move the focus between the editor and the terminal (or the shell)'],
  ['Escape, Tab, Ctrl+K, Ctrl+S (in a shell)', 'Typed for the program in the shell (vi, completion, nano): Ctrl + ` leaves the shell'],
  ['Ctrl + Shift + C / V (in a shell)', 'Copy the selection / paste'],
  ['Ctrl + Shift + E', 'Go to the files (the explorer)'],
  ['Delete (on an editor tab)', 'Close the tab'],
  ['Escape (in the terminal)', 'Back to the editor'],
  ['Tab (in the terminal)', 'Next control; while a program reads input, a tab for the program'],
  ['Ctrl + M (in the editor)', 'Let Tab move the focus instead of indenting (press again to undo)'],
  ['F1', 'Show this list'],
];

export type ShortcutCommand = 'run' | 'stop' | 'save' | 'clear' | 'help' | 'toggleTerminal' | 'focusExplorer';

type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'> & { code?: string };

/** The command a key press stands for, or null when it is not a shortcut. */
export function shortcutOf(event: KeyPress): ShortcutCommand | null {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (mod && key === 'enter') return 'run';
  if (mod && event.shiftKey && key === 's') return 'stop';
  if (mod && !event.shiftKey && key === 's') return 'save';
  if (mod && !event.shiftKey && key === 'k') return 'clear';
  if (event.ctrlKey && event.shiftKey && key === 'e') return 'focusExplorer';
  if (event.key === 'F1') return 'help';
  // VS Code's Ctrl+` (the key left of 1 on any layout, hence the code).
  if (event.ctrlKey && !event.shiftKey && (event.key === '`' || event.code === 'Backquote')) return 'toggleTerminal';
  return null;
}

/** Shortcuts a shell keeps for its program while it has the focus: Ctrl+K (readline's kill line), Ctrl+S (nano's save). */
export const SHELL_KEEPS: readonly ShortcutCommand[] = ['clear', 'save'];

/**
 * Handles the shortcuts before the editor or terminal sees them, until `signal` aborts; a command for
 * which `leftToFocused` says true is left to the focused element (a shell's program).
 */
export function installShortcuts(target: Window, commands: Record<ShortcutCommand, () => void>, signal: AbortSignal,
                                 leftToFocused: (command: ShortcutCommand) => boolean = () => false): void {
  target.addEventListener('keydown', (event) => {
    const command = shortcutOf(event);
    if (!command || leftToFocused(command)) return;
    commands[command]();
    event.preventDefault();
    event.stopPropagation();
  }, { capture: true, signal });
}

/** A table row per shortcut (the welcome screen shows the first few). */
export function shortcutRows(shortcuts = SHORTCUTS): HTMLTableRowElement[] {
  return shortcuts.map(([keys, what]) => h('tr', {}, h('td', {}, h('kbd', { text: keys })), h('td', { text: what })));
}

/** The F1 overlay listing every shortcut (once: a second F1 leaves the open one). */
export function showHelp(): void {
  if (document.querySelector('.help-overlay')) return;
  const close = () => dismiss();
  const overlay = h('div', { class: 'modal-backdrop help-overlay', onclick: (event: Event) => event.target === overlay && close() },
    h('div', { class: 'modal wide', role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
      h('h2', { text: 'Keyboard shortcuts' }),
      h('table', { class: 'shortcuts' }, h('tbody', {}, ...shortcutRows())),
      h('div', { class: 'modal-actions' }, h('button', { class: 'button primary', type: 'button', text: 'Close', onclick: close }))));
  const dismiss = openModal(overlay, close);
  overlay.querySelector('button')?.focus();
}
