import { describe, expect, it } from 'vitest';
import { shortcutOf } from './shortcuts';

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
});
