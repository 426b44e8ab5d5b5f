// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { installShortcuts, SHELL_KEEPS, shortcutOf, type ShortcutCommand } from './shortcuts';

const key = (value: string, modifiers: { ctrl?: boolean; meta?: boolean; shift?: boolean; code?: string } = {}) =>
  ({ key: value, code: modifiers.code, ctrlKey: modifiers.ctrl ?? false, metaKey: modifiers.meta ?? false, shiftKey: modifiers.shift ?? false });

describe('keyboard shortcuts', () => {
  it('maps Ctrl or Cmd with a key to a command', () => {
    expect(shortcutOf(key('Enter', { ctrl: true }))).toBe('run');
    expect(shortcutOf(key('Enter', { meta: true }))).toBe('run');
    expect(shortcutOf(key('S', { ctrl: true, shift: true }))).toBe('stop');
    expect(shortcutOf(key('s', { ctrl: true }))).toBe('save');
    expect(shortcutOf(key('k', { meta: true }))).toBe('clear');
    expect(shortcutOf(key('F1'))).toBe('help');
  });

  it('Ctrl+` moves between the editor and the terminal, on any keyboard layout', () => {
    expect(shortcutOf(key('`', { ctrl: true }))).toBe('toggleTerminal');
    expect(shortcutOf(key('^', { ctrl: true, code: 'Backquote' }))).toBe('toggleTerminal');
    expect(shortcutOf(key('`'))).toBeNull();
    expect(shortcutOf(key('E', { ctrl: true, shift: true }))).toBe('focusExplorer');
    expect(shortcutOf(key('e', { ctrl: true }))).toBeNull();
  });

  it('leaves other keys to the editor and the terminal', () => {
    expect(shortcutOf(key('Enter'))).toBeNull();
    expect(shortcutOf(key('s'))).toBeNull();
    expect(shortcutOf(key('K', { ctrl: true, shift: true }))).toBeNull();
    expect(shortcutOf(key('c', { ctrl: true }))).toBeNull();
  });

  it('leaves Ctrl+K and Ctrl+S to a focused shell, and still moves the focus out of it with Ctrl+`', () => {
    const target = new EventTarget();
    const ran: string[] = [];
    let inShell = true;
    const commands = Object.fromEntries(['run', 'stop', 'save', 'clear', 'help', 'toggleTerminal', 'focusExplorer']
      .map((command) => [command, () => { ran.push(command); }])) as unknown as Record<ShortcutCommand, () => void>;
    const controller = new AbortController();
    installShortcuts(target as unknown as Window, commands, controller.signal, (command) => inShell && SHELL_KEEPS.includes(command));
    const press = (init: KeyboardEventInit) => {
      const event = new KeyboardEvent('keydown', { cancelable: true, ...init });
      target.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(press({ key: 'k', ctrlKey: true })).toBe(false);
    expect(press({ key: 's', ctrlKey: true })).toBe(false);
    expect(press({ key: '`', ctrlKey: true })).toBe(true);
    inShell = false;
    expect(press({ key: 'k', ctrlKey: true })).toBe(true);
    controller.abort();
    expect(ran).toEqual(['toggleTerminal', 'clear']);
  });
});
