/**
 * Which keys the terminal keeps and which it leaves to the page, so that it never traps the focus:
 * Escape always leaves it (for the editor); Tab and Shift+Tab move the focus on unless a program is
 * reading input, which gets them as typed characters (Escape and Ctrl+` still get out).
 */

/** `leave`: the IDE moves the focus out; `page`: the browser does what the key does (Tab moves on); `terminal`: xterm types it. */
export type TerminalKeyUse = 'leave' | 'page' | 'terminal';

type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/** What a key press in the terminal is for; `programReading` while a running program takes input. */
export function terminalKeyUse(event: KeyPress, programReading: boolean): TerminalKeyUse {
  const modified = event.ctrlKey || event.metaKey || event.altKey;
  if (event.key === 'Escape' && !modified && !event.shiftKey) return 'leave';
  if (event.key === 'Tab' && !modified) return programReading ? 'terminal' : 'page';
  return 'terminal';
}
