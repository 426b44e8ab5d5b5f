// @vitest-environment happy-dom
import { Terminal } from '@xterm/xterm';
import { describe, expect, it } from 'vitest';
import { hardenTerminal, safePaste, shellKeyUse } from './shellTerminal';

/** What the terminal would type into the shell's input after `output` was written to it. */
async function answersTo(output: string, harden: boolean): Promise<string[]> {
  const xterm = new Terminal({ allowProposedApi: false });
  if (harden) hardenTerminal(xterm);
  const typed: string[] = [];
  xterm.onData((data) => typed.push(data));
  await new Promise<void>((resolve) => xterm.write(output, resolve));
  xterm.dispose();
  return typed;
}

describe('shell terminal', () => {
  it('does not answer DECRQSS, which xterm.js would otherwise type into the shell', async () => {
    const decrqss = '\x1bP$qm\x1b\\\x1bP$q"p\x1b\\';
    expect((await answersTo(decrqss, false)).join('')).toContain('$r');
    expect(await answersTo(decrqss, true)).toEqual([]);
  });

  it('ignores OSC 52 clipboard writes and window title reports; still answers a cursor position request', async () => {
    expect(await answersTo('\x1b]52;c;aGVsbG8=\x07\x1b]2;title\x07\x1b[21t\x1b[20t', true)).toEqual([]);
    expect((await answersTo('\x1b[6n', true)).join('')).toMatch(/^\x1b\[\d+;\d+R$/);
  });

  it('keeps Escape, Tab and Ctrl+C for the program; Ctrl+Shift+C copies and Ctrl+Shift+V pastes', () => {
    const key = (key: string, mods: Partial<KeyboardEvent> = {}) => shellKeyUse({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
    expect(key('Escape')).toBe('terminal');
    expect(key('Tab')).toBe('terminal');
    expect(key('c', { ctrlKey: true })).toBe('terminal');
    expect(key('C', { ctrlKey: true, shiftKey: true })).toBe('copy');
    expect(key('V', { ctrlKey: true, shiftKey: true })).toBe('paste');
  });

  it('a pasted text cannot end the bracketed paste early and have the shell run the rest', async () => {
    const xterm = new Terminal({ allowProposedApi: false });
    const host = document.createElement('div');
    document.body.append(host);
    xterm.open(host);
    const typed: string[] = [];
    xterm.onData((data) => typed.push(safePaste(data)));
    await new Promise<void>((resolve) => xterm.write('\x1b[?2004h', resolve));
    xterm.paste('echo hi\x1b[201~rm -rf ~\n');
    xterm.dispose();
    host.remove();
    expect(typed).toEqual(['\x1b[200~echo hirm -rf ~\r\x1b[201~']);
    expect(safePaste('ls\r')).toBe('ls\r');
  });
});
