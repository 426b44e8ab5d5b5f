/**
 * The person's settings (colour theme, font size, terminal mode), kept in localStorage, and the
 * dialog that changes them. Terminal mode is on by default: the program gets one pseudo-terminal, as
 * in a terminal window, so its output shows in exactly the order written, prompts show at once and
 * colour libraries colour. Keystrokes then go to the program's terminal as typed and that terminal
 * echoes them (the IDE echoes nothing, so nothing shows twice, and Node.js readline or curses work as
 * at a real terminal). Off, the IDE edits and echoes each line itself, and stdout and stderr stay
 * apart (stderr in red), ordered only as far as two pipes allow.
 */
import type { User } from '../api';
import { h, openModal } from '../dom';

export type Theme = 'dark' | 'light';
export interface Settings { theme: Theme; fontSize: number; terminalMode: boolean }

/** main.ts reads the theme under this key too, to paint the sign-in screen. */
export const SETTINGS_KEY = 'cloudrun.settings';

const DEFAULTS: Settings = { theme: 'dark', fontSize: 14, terminalMode: true };

export function loadSettings(): Settings {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') };
  } catch {
    return { ...DEFAULTS };
  }
}

export function storeSettings(settings: Settings): void {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

/** The font size a typed value stands for: 10 to 28, 14 when it is not a number. */
export function clampFontSize(value: string): number {
  return Math.max(10, Math.min(28, Number(value) || 14));
}

/** The settings dialog; `changed` runs after each change to `settings`. */
export function showSettings(settings: Settings, user: User, changed: () => void): void {
  const theme = h('select', { class: 'select', 'aria-label': 'Theme' },
    h('option', { value: 'dark', text: 'Dark' }), h('option', { value: 'light', text: 'Light' }));
  theme.value = settings.theme;
  const fontSize = h('input', { class: 'input', type: 'number', min: 10, max: 28, 'aria-label': 'Font size' });
  fontSize.value = String(settings.fontSize);
  const terminalMode = h('input', { type: 'checkbox', 'data-setting': 'terminal-mode' });
  terminalMode.checked = settings.terminalMode;
  const close = () => dismiss();
  const overlay = h('div', { class: 'modal-backdrop', onclick: (event: Event) => event.target === overlay && close() },
    h('div', { class: 'modal', role: 'dialog', 'aria-label': 'Settings' },
      h('h2', { text: 'Settings' }),
      h('label', { class: 'field' }, h('span', { text: 'Colour theme' }), theme),
      h('label', { class: 'field' }, h('span', { text: 'Editor font size' }), fontSize),
      h('label', { class: 'field checkbox' }, terminalMode,
        h('span', { text: 'Terminal mode (program sees a terminal; stdout and stderr in exact order)' })),
      h('p', { class: 'hint', text: `Signed in as ${user.guest ? 'a guest' : `${user.username}${user.email ? ` (${user.email})` : ''}`}.` }),
      h('div', { class: 'modal-actions' }, h('button', { class: 'button primary', type: 'button', text: 'Done', onclick: close }))));
  theme.addEventListener('change', () => { settings.theme = theme.value as Theme; changed(); });
  terminalMode.addEventListener('change', () => { settings.terminalMode = terminalMode.checked; changed(); });
  fontSize.addEventListener('change', () => {
    settings.fontSize = clampFontSize(fontSize.value);
    changed();
  });
  const dismiss = openModal(overlay, close);
  theme.focus();
}
