// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../protocol';
import { FixWithAi, offersFix, type FixWithAiHost } from './fixWithAi';

function result(status: string): RunResult {
  return { status, exitCode: 1, signal: null, wallTimeMs: 10, cpuTimeMs: 5, memoryBytes: null,
    stdoutTruncated: false, stderrTruncated: false, message: null, missingDependencies: [] };
}

function setUp(available: boolean | Promise<boolean>, target: string | null = 'helper.py') {
  const calls: string[] = [];
  const host: FixWithAiHost = {
    aiAvailable: () => { calls.push('status'); return Promise.resolve(available); },
    target: () => target,
    open: async (path) => { calls.push(`open ${path}`); },
    showAssistant: () => calls.push('assistant'),
    askFix: async () => { calls.push('fix'); },
  };
  return { calls, button: new FixWithAi(host) };
}

describe('Fix with AI', () => {
  it('is offered for what the program caused, when the assistant can answer', () => {
    for (const status of ['COMPILE_ERROR', 'RUNTIME_ERROR', 'TIME_LIMIT', 'MEMORY_LIMIT']) expect(offersFix(result(status), true), status).toBe(true);
    for (const status of ['OK', 'CANCELLED', 'INTERNAL_ERROR', 'OUTPUT_LIMIT']) expect(offersFix(result(status), true), status).toBe(false);
    expect(offersFix(result('RUNTIME_ERROR'), false)).toBe(false);
  });

  it('shows after a failed run and hides when the next starts', async () => {
    const { button } = setUp(true);
    expect(button.button.hidden).toBe(true);
    await button.runFinished(result('COMPILE_ERROR'));
    expect(button.button.hidden).toBe(false);
    expect(button.button.textContent).toContain('Fix with AI');
    button.runStarted();
    expect(button.button.hidden).toBe(true);
    await button.runFinished(result('OK'));
    expect(button.button.hidden).toBe(true);
  });

  it('stays hidden when the server has no AI provider, and does not ask for a passing run', async () => {
    const { button, calls } = setUp(false);
    await button.runFinished(result('RUNTIME_ERROR'));
    expect(button.button.hidden).toBe(true);
    await button.runFinished(result('OK'));
    expect(calls).toEqual(['status']);
  });

  it('a status that arrives after the next run started does not show the button', async () => {
    let answer: (value: boolean) => void = () => {};
    const { button } = setUp(new Promise<boolean>((resolve) => { answer = resolve; }));
    const finished = button.runFinished(result('RUNTIME_ERROR'));
    button.runStarted();
    answer(true);
    await finished;
    expect(button.button.hidden).toBe(true);
  });

  it('a click opens the file to fix, then the assistant, then asks for the fix', async () => {
    const { button, calls } = setUp(true);
    await button.runFinished(result('RUNTIME_ERROR'));
    button.button.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toEqual(['status', 'open helper.py', 'assistant', 'fix']);
  });

  it('without a file to name, asks about the code in the editor', async () => {
    const { button, calls } = setUp(true, null);
    await button.fix();
    expect(calls).toEqual(['assistant', 'fix']);
  });
});
