// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { FocusMoves } from './focusMoves';

describe('focus moves', () => {
  function setup(fileOpen: boolean) {
    const moves: string[] = [];
    const terminal = document.createElement('textarea');
    const host = document.createElement('div');
    host.append(terminal);
    const elsewhere = document.createElement('button');
    const shellInput = document.createElement('textarea');
    const shellHost = document.createElement('div');
    shellHost.append(shellInput);
    document.body.replaceChildren(host, shellHost, elsewhere);
    const focus = new FocusMoves({
      openEditor: () => (fileOpen ? { focus: () => moves.push('editor') } : null),
      showExplorer: () => moves.push('explorer'),
      terminalHost: () => host,
      shellHost: () => shellHost,
      focusTerminal: () => { moves.push('terminal'); terminal.focus(); },
    });
    return { focus, moves, terminal, elsewhere, shellInput };
  }

  it('Ctrl+` goes to the terminal from elsewhere and back to the editor from the terminal', () => {
    const { focus, moves, terminal, elsewhere } = setup(true);
    elsewhere.focus();
    focus.toggleTerminal();
    expect(document.activeElement).toBe(terminal);
    focus.toggleTerminal();
    expect(moves).toEqual(['terminal', 'editor']);
  });

  it('with no file open, going to the editor goes to the explorer', () => {
    const { focus, moves } = setup(false);
    focus.editor();
    focus.explorer();
    expect(moves).toEqual(['explorer', 'explorer']);
  });

  it('Ctrl+` in a shell goes back to the editor', () => {
    const { focus, moves, shellInput } = setup(true);
    shellInput.focus();
    focus.toggleTerminal();
    expect(moves).toEqual(['editor']);
  });
});
