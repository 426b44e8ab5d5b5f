import { describe, expect, it } from 'vitest';
import { closeStdinMessage, parseServerMessage, startMessage, statusTone } from './protocol';

describe('protocol', () => {
  it('parses output, phases and acceptance', () => {
    expect(parseServerMessage('{"type":"accepted","runId":"r1"}')).toEqual({ kind: 'accepted', runId: 'r1' });
    expect(parseServerMessage('{"type":"phase","phase":"running"}')).toEqual({ kind: 'phase', phase: 'RUNNING' });
    expect(parseServerMessage('{"type":"stdout","data":"hi"}')).toEqual({ kind: 'output', stream: 'stdout', data: 'hi' });
    expect(parseServerMessage('{"type":"stderr","data":"oops"}')).toEqual({ kind: 'output', stream: 'stderr', data: 'oops' });
    expect(parseServerMessage('{"type":"output","stream":"STDERR","text":"x"}')).toEqual({ kind: 'output', stream: 'stderr', data: 'x' });
  });

  it('parses the result with missing dependencies', () => {
    const message = parseServerMessage(JSON.stringify({
      type: 'finished', runId: 'r1', status: 'RUNTIME_ERROR', exitCode: 1, signal: null, wallTimeMs: 120,
      cpuTimeMs: 80, memoryBytes: 9_000_000, stdoutTruncated: false, stderrTruncated: false, message: null,
      missingDependencies: ['requests'],
    }));
    expect(message?.kind).toBe('finished');
    if (message?.kind !== 'finished') return;
    expect(message.result.status).toBe('RUNTIME_ERROR');
    expect(message.result.exitCode).toBe(1);
    expect(message.result.memoryBytes).toBe(9_000_000);
    expect(message.result.missingDependencies).toEqual(['requests']);
    const both = parseServerMessage('{"type":"finished","status":"RUNTIME_ERROR","missingDependencies":["yaml"],"missingPackages":["PyYAML"]}');
    expect(both?.kind === 'finished' && both.result.missingDependencies).toEqual(['PyYAML']);
  });

  it('parses a nested result and errors in both shapes', () => {
    const nested = parseServerMessage('{"type":"finished","result":{"status":"CANCELLED","exitCode":137}}');
    expect(nested?.kind === 'finished' && nested.result.status).toBe('CANCELLED');
    expect(parseServerMessage('{"type":"error","code":"rate_limited","message":"slow down"}'))
      .toEqual({ kind: 'error', code: 'rate_limited', message: 'slow down' });
    expect(parseServerMessage('{"type":"error","error":{"code":"unauthorized","message":"log in"}}'))
      .toEqual({ kind: 'error', code: 'unauthorized', message: 'log in' });
  });

  it('parses the server\'s missing_dependency message', () => {
    expect(parseServerMessage('{"type":"missing_dependency","language":"python","module":"requests"}'))
      .toEqual({ kind: 'missingDependency', packages: ['requests'], message: null });
    expect(parseServerMessage('{"type":"missing_dependency","language":"python","module":"cv2","modules":["cv2"],'
      + '"packages":["opencv-python-headless"],"canInstall":true}'))
      .toEqual({ kind: 'missingDependency', packages: ['opencv-python-headless'], message: null });
    expect(parseServerMessage('{"type":"authenticated","userId":"u"}')).toEqual({ kind: 'authenticated' });
  });

  it('parses install events', () => {
    expect(parseServerMessage('{"type":"install_started","runId":"r","packages":["requests"]}'))
      .toEqual({ kind: 'installStarted', packages: ['requests'] });
    expect(parseServerMessage('{"type":"install_finished","runId":"r","packages":["requests"],"success":false,"message":"no"}'))
      .toEqual({ kind: 'installFinished', packages: ['requests'], success: false, message: 'no' });
  });

  it('ignores what it does not know', () => {
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage('{"type":"pong"}')).toBeNull();
    expect(parseServerMessage('[1,2]')).toBeNull();
  });

  it('starts interactive runs unless stdin is given up front', () => {
    const interactive = startMessage({ token: 't', projectId: 'p', entry: 'main.py' });
    expect(interactive).toMatchObject({ type: 'start', token: 't', projectId: 'p', entry: 'main.py', interactive: true });
    expect(interactive.env).toMatchObject({ FORCE_COLOR: '1' });
    expect(closeStdinMessage()).toEqual({ type: 'stdin_close' });
    const batch = startMessage({ token: 't', projectId: 'p', entry: 'main.py', stdin: '42\n' });
    expect(batch.stdin).toBe('42\n');
    expect(batch.interactive).toBeUndefined();
    expect(startMessage({ token: 't', projectId: 'p', entry: 'main.py', installPackages: ['requests'] }))
      .toMatchObject({ autoInstall: true, install: ['requests'] });
  });

  it('tones statuses', () => {
    expect(statusTone('OK')).toBe('ok');
    expect(statusTone('CANCELLED')).toBe('warn');
    expect(statusTone('COMPILE_ERROR')).toBe('error');
  });
});
