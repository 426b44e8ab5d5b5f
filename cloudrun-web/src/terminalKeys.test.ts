import { describe, expect, it } from 'vitest';
import { terminalKeyUse } from './terminalKeys';

const key = (value: string, modifiers: { ctrl?: boolean; shift?: boolean; alt?: boolean } = {}) =>
  ({ key: value, ctrlKey: modifiers.ctrl ?? false, metaKey: false, altKey: modifiers.alt ?? false, shiftKey: modifiers.shift ?? false });

describe('terminal keys', () => {
  it('Escape leaves the terminal, whether or not a program reads input', () => {
    expect(terminalKeyUse(key('Escape'), false)).toBe('leave');
    expect(terminalKeyUse(key('Escape'), true)).toBe('leave');
  });

  it('Tab and Shift+Tab move the focus on when no program reads input', () => {
    expect(terminalKeyUse(key('Tab'), false)).toBe('page');
    expect(terminalKeyUse(key('Tab', { shift: true }), false)).toBe('page');
  });

  it('a program reading input gets Tab; other keys always go to the terminal', () => {
    expect(terminalKeyUse(key('Tab'), true)).toBe('terminal');
    expect(terminalKeyUse(key('a'), false)).toBe('terminal');
    expect(terminalKeyUse(key('c', { ctrl: true }), true)).toBe('terminal');
    expect(terminalKeyUse(key('Enter'), true)).toBe('terminal');
    expect(terminalKeyUse(key('Escape', { alt: true }), true)).toBe('terminal');
  });
});
