import { describe, expect, it } from 'vitest';
import { LineEditor } from './lineEditor';

describe('LineEditor', () => {
  it('echoes and sends a line on Enter', () => {
    const editor = new LineEditor();
    expect(editor.feed('Ad')).toEqual([{ type: 'echo', text: 'Ad' }]);
    expect(editor.feed('a')).toEqual([{ type: 'echo', text: 'a' }]);
    expect(editor.feed('\r')).toEqual([{ type: 'echo', text: '\r\n' }, { type: 'send', text: 'Ada\n' }]);
    expect(editor.pending).toBe('');
  });

  it('edits with Backspace and Ctrl+U', () => {
    const editor = new LineEditor();
    editor.feed('abc');
    expect(editor.feed('\x7f')).toEqual([{ type: 'echo', text: '\b \b' }]);
    expect(editor.pending).toBe('ab');
    editor.feed('\x15');
    expect(editor.pending).toBe('');
    expect(editor.feed('\x7f')).toEqual([]);
  });

  it('handles pasted lines, CRLF and escape sequences', () => {
    const editor = new LineEditor();
    const actions = editor.feed('12\r\n34\x1b[A5\n');
    expect(actions.filter((action) => action.type === 'send')).toEqual([
      { type: 'send', text: '12\n' },
      { type: 'send', text: '345\n' },
    ]);
  });

  it('maps Ctrl+D to end of input and Ctrl+C to interrupt', () => {
    const editor = new LineEditor();
    expect(editor.feed('\x04')).toEqual([{ type: 'eof' }]);
    editor.feed('x');
    expect(editor.feed('\x04')).toEqual([{ type: 'send', text: 'x' }]);
    expect(editor.feed('y\x03')).toEqual([
      { type: 'echo', text: 'y' },
      { type: 'echo', text: '^C\r\n' },
      { type: 'interrupt' },
    ]);
    expect(editor.pending).toBe('');
  });

  it('keeps multi-byte characters whole', () => {
    const editor = new LineEditor();
    editor.feed('é😀');
    editor.feed('\x7f');
    expect(editor.pending).toBe('é');
  });
});
