import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputWaitDetector, PROMPT_QUIET_MS, QUIET_MS } from './inputWait';

describe('waiting for input', () => {
  let events: string[];
  let detector: InputWaitDetector;

  beforeEach(() => {
    vi.useFakeTimers();
    events = [];
    detector = new InputWaitDetector({ waiting: (reason) => events.push(`waiting ${reason}`), resumed: () => events.push('resumed') });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('a prompt followed by a short quiet is a wait, told once', () => {
    detector.start();
    detector.output('What is your name? ');
    vi.advanceTimersByTime(PROMPT_QUIET_MS - 1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['waiting prompt']);
    expect(detector.waiting).toBe(true);
    vi.advanceTimersByTime(10 * QUIET_MS);
    expect(events).toEqual(['waiting prompt']);
  });

  it('a finished line needs the long quiet, and then only may be a wait', () => {
    detector.start();
    detector.output('working\n');
    vi.advanceTimersByTime(QUIET_MS - 1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['waiting quiet']);
  });

  it('a program that writes nothing at all counts as quiet from its start', () => {
    detector.start();
    vi.advanceTimersByTime(QUIET_MS);
    expect(events).toEqual(['waiting quiet']);
  });

  it('output that keeps coming is no wait, and output ends a wait', () => {
    detector.start();
    for (let tick = 0; tick < 20; tick++) {
      detector.output(`step ${tick} `);
      vi.advanceTimersByTime(PROMPT_QUIET_MS - 50);
    }
    expect(events).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(events).toEqual(['waiting prompt']);
    detector.output('more\n');
    expect(events).toEqual(['waiting prompt', 'resumed']);
    expect(detector.waiting).toBe(false);
  });

  it('a line sent to the program ends the wait, and the next prompt is a new wait', () => {
    detector.start();
    detector.output('First? ');
    vi.advanceTimersByTime(PROMPT_QUIET_MS);
    detector.inputSent();
    expect(events).toEqual(['waiting prompt', 'resumed']);
    detector.output('Second? ');
    vi.advanceTimersByTime(PROMPT_QUIET_MS);
    expect(events).toEqual(['waiting prompt', 'resumed', 'waiting prompt']);
  });

  it('nothing is told before start or after stop', () => {
    detector.output('Name? ');
    vi.advanceTimersByTime(QUIET_MS);
    expect(events).toEqual([]);
    detector.start();
    detector.output('Name? ');
    vi.advanceTimersByTime(PROMPT_QUIET_MS);
    detector.stop();
    expect(events).toEqual(['waiting prompt', 'resumed']);
    detector.output('Again? ');
    vi.advanceTimersByTime(QUIET_MS);
    expect(events).toEqual(['waiting prompt', 'resumed']);
  });
});
