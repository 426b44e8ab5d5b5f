import { describe, expect, it } from 'vitest';
import { AI_OUTPUT_CAP, describeAiError, RunRecord, tailBytes } from './ai';
import type { RunResult } from './protocol';

const result = (status: string, exitCode: number | null = 1): RunResult => ({
  status, exitCode, signal: null, wallTimeMs: 10, cpuTimeMs: 5, memoryBytes: null, stdoutTruncated: false, stderrTruncated: false,
  message: null, missingDependencies: [],
});

describe('RunRecord', () => {
  it('knows whether the last run failed and builds the error text from the status and stderr', () => {
    const run = new RunRecord();
    expect(run.failed).toBe(false);
    run.start();
    run.output('stdout', 'partial output\n');
    run.output('stderr', 'Traceback...\nNameError: name \'x\' is not defined\n');
    run.result = result('RUNTIME_ERROR');
    expect(run.failed).toBe(true);
    expect(run.errorText()).toBe('Run status: RUNTIME_ERROR (exit code 1)\nTraceback...\nNameError: name \'x\' is not defined\n');
    expect(run.stdout).toBe('partial output\n');
    run.start();
    expect(run.failed).toBe(false);
    run.result = result('OK', 0);
    expect(run.failed).toBe(false);
  });

  it('takes the error from the one stream of a terminal-mode run, which has no stderr', () => {
    const run = new RunRecord();
    run.start();
    run.output('stdout', 'partial output\nTraceback...\nNameError: name \'x\' is not defined\n');
    run.result = result('RUNTIME_ERROR');
    expect(run.errorText()).toBe('Run status: RUNTIME_ERROR (exit code 1)\npartial output\nTraceback...\nNameError: name \'x\' is not defined\n');
  });

  it('keeps only the tail of a long output', () => {
    const run = new RunRecord();
    run.output('stderr', 'a'.repeat(100_000));
    run.output('stderr', 'THE END');
    run.result = result('RUNTIME_ERROR');
    const error = run.errorText();
    expect(error.length).toBeLessThanOrEqual(AI_OUTPUT_CAP);
    expect(error.endsWith('THE END')).toBe(true);
  });
});

describe('tailBytes', () => {
  it('caps UTF-8 bytes, keeping the end and whole characters', () => {
    expect(tailBytes('hello', 10)).toBe('hello');
    const capped = tailBytes('é'.repeat(10) + 'end', 8);
    expect(new TextEncoder().encode(capped).length).toBeLessThanOrEqual(8);
    expect(capped.endsWith('end')).toBe(true);
    expect(capped).not.toContain('\uFFFD');
  });
});

describe('describeAiError', () => {
  it('explains the server\'s JSON errors', () => {
    expect(describeAiError(503, 'ai_not_configured', 'no AI provider is configured', null))
      .toBe('The AI assistant is not configured on this server: no AI provider is configured');
    expect(describeAiError(429, 'ai_quota_exceeded', 'limit of 60 an hour', '120')).toBe('You have used up your AI requests for now: limit of 60 an hour (try again in 120 s)');
    expect(describeAiError(502, 'ai_unavailable', 'groq: HTTP 500', null)).toBe('No AI provider could answer: groq: HTTP 500');
    expect(describeAiError(401, 'unauthorized', 'bad token', null)).toBe('Your session has expired; sign in again.');
    expect(describeAiError(500, null, null, null)).toBe('The server answered HTTP 500');
  });
});
