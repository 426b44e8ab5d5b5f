// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { StatusBar, type Clock } from './statusBar';

describe('status bar', () => {
  function bar() {
    let now = 0;
    let tick: (() => void) | null = null;
    const clock: Clock = { now: () => now, every: (_millis, callback) => { tick = callback; return 1; }, cancel: () => { tick = null; } };
    const status = new StatusBar(clock);
    const item = (name: string) => status.element.querySelector<HTMLElement>(`[data-status=${name}]`)!;
    return { status, item, advance: (millis: number) => { now += millis; tick?.(); }, ticking: () => tick !== null };
  }

  it('shows a running state with a dot and a finished one with its tone', () => {
    const { status, item } = bar();
    status.runState('Running', true);
    expect(item('run').textContent).toBe('● Running');
    expect(item('run').className).toBe('status-item run-state running');
    status.runState('TIME_LIMIT', false, 'warn');
    expect(item('run').textContent).toBe('TIME_LIMIT');
    expect(item('run').className).toBe('status-item run-state warn');
    status.message('Saved main.py');
    expect(item('run').textContent).toBe('Saved main.py');
    expect(item('run').className).toBe('status-item run-state');
  });

  it('says while the editor is loading, and nothing once it is there', () => {
    const { status, item } = bar();
    expect(item('editor').hidden).toBe(true);
    status.editorLoading(true);
    expect(item('editor').textContent).toBe('Loading editor…');
    expect(item('editor').hidden).toBe(false);
    status.editorLoading(false);
    expect(item('editor').hidden).toBe(true);
  });

  it('counts the run\'s time up, then shows the result\'s time, exit code and memory', () => {
    const { status, item, advance, ticking } = bar();
    status.showResult(10, 1, 2048);
    status.startClock();
    expect(item('exit').textContent).toBe('');
    expect(item('memory').textContent).toBe('');
    advance(250);
    expect(item('elapsed').textContent).toBe('250 ms');
    advance(61_000);
    expect(item('elapsed').textContent).toBe('1:01 min');
    expect(status.elapsedMs()).toBe(61_250);
    status.stopClock();
    expect(ticking()).toBe(false);
    status.showResult(1234, 0, 3 * 1024 * 1024);
    expect(item('elapsed').textContent).toBe('1.23 s');
    expect(item('exit').textContent).toBe('exit 0');
    expect(item('memory').textContent).toBe('3.0 MB peak');
    status.showResult(5, null, null);
    expect(item('exit').textContent).toBe('');
    expect(item('memory').textContent).toBe('');
  });

  it('forgets the last run when another project opens', () => {
    const { status, item, ticking } = bar();
    status.startClock();
    status.runState('RUNTIME_ERROR', false, 'error');
    status.showResult(1234, 1, 2048);
    status.reset();
    expect(item('run').textContent).toBe('Ready');
    expect(item('run').className).toBe('status-item run-state');
    expect(item('elapsed').textContent).toBe('');
    expect(item('exit').textContent).toBe('');
    expect(item('memory').textContent).toBe('');
    expect(ticking()).toBe(false);
  });

  it('shows the cursor and the file\'s language', () => {
    const { status, item } = bar();
    status.cursor(3, 14);
    status.language('Python 3');
    expect(item('cursor').textContent).toBe('Ln 3, Col 14');
    expect(item('language').textContent).toBe('Python 3');
  });
});
