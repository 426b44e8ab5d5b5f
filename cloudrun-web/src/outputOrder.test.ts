import { describe, expect, it } from 'vitest';
import { OutputSequencer, type SequencedOutput } from './outputOrder';
import { parseServerMessage, startMessage } from './protocol';

function collect(maxHeld?: number): { sequencer: OutputSequencer; shown: string[] } {
  const shown: string[] = [];
  const sequencer = new OutputSequencer((output) => shown.push(`${output.stream}:${output.data}`), maxHeld);
  return { sequencer, shown };
}

const out = (seq: number | null, data: string, stream: SequencedOutput['stream'] = 'stdout'): SequencedOutput => ({ stream, data, seq });

describe('OutputSequencer', () => {
  it('shows messages that come in order at once', () => {
    const { sequencer, shown } = collect();
    sequencer.push(out(1, 'out0\n'));
    expect(shown).toEqual(['stdout:out0\n']);
    sequencer.push(out(2, 'err0\n', 'stderr'));
    sequencer.push(out(3, 'out1\n'));
    expect(shown).toEqual(['stdout:out0\n', 'stderr:err0\n', 'stdout:out1\n']);
    expect(sequencer.waiting).toBe(0);
  });

  it('holds a message that overtook another until the missing one comes', () => {
    const { sequencer, shown } = collect();
    sequencer.push(out(1, 'a'));
    sequencer.push(out(3, 'c', 'stderr'));
    sequencer.push(out(4, 'd'));
    expect(shown).toEqual(['stdout:a']);
    expect(sequencer.waiting).toBe(2);
    sequencer.push(out(2, 'b'));
    expect(shown).toEqual(['stdout:a', 'stdout:b', 'stderr:c', 'stdout:d']);
    expect(sequencer.waiting).toBe(0);
  });

  it('gives a gap up once too many messages wait, and shows a late one after', () => {
    const { sequencer, shown } = collect(3);
    for (const seq of [2, 3, 4]) sequencer.push(out(seq, String(seq)));
    expect(shown).toEqual([]);
    sequencer.push(out(5, '5'));
    expect(shown).toEqual(['stdout:2', 'stdout:3', 'stdout:4', 'stdout:5']);
    sequencer.push(out(1, '1'));
    sequencer.push(out(6, '6'));
    expect(shown).toEqual(['stdout:2', 'stdout:3', 'stdout:4', 'stdout:5', 'stdout:1', 'stdout:6']);
  });

  it('flushes what waits in order when the run finishes', () => {
    const { sequencer, shown } = collect();
    sequencer.push(out(4, 'd'));
    sequencer.push(out(2, 'b'));
    sequencer.flush();
    expect(shown).toEqual(['stdout:b', 'stdout:d']);
    expect(sequencer.waiting).toBe(0);
  });

  it('shows messages without seq (an older server) as they come', () => {
    const { sequencer, shown } = collect();
    sequencer.push(out(null, 'x'));
    sequencer.push({ stream: 'stderr', data: 'y' });
    expect(shown).toEqual(['stdout:x', 'stderr:y']);
  });
});

describe('protocol: seq and terminal mode', () => {
  it('reads seq from output messages', () => {
    expect(parseServerMessage('{"type":"stderr","runId":"r","seq":7,"data":"boom\\n"}'))
      .toEqual({ kind: 'output', stream: 'stderr', data: 'boom\n', seq: 7 });
    expect(parseServerMessage('{"type":"stdout","runId":"r","data":"hi"}'))
      .toEqual({ kind: 'output', stream: 'stdout', data: 'hi' });
    expect(parseServerMessage('{"type":"stdout","seq":"3","data":"hi"}')).not.toHaveProperty('seq');
  });

  it('asks for terminal mode only when told', () => {
    const base = { token: 't', projectId: 'p', entry: 'main.py' };
    expect(startMessage({ ...base, terminal: true }).terminal).toBe(true);
    expect(startMessage(base)).not.toHaveProperty('terminal');
  });

  it('puts parsed messages that arrive out of order back in order', () => {
    const { sequencer, shown } = collect();
    const raw = ['{"type":"stdout","seq":1,"data":"out0\\n"}', '{"type":"stdout","seq":3,"data":"out1\\n"}',
      '{"type":"stderr","seq":2,"data":"err0\\n"}', '{"type":"stderr","seq":4,"data":"err1\\n"}'];
    for (const text of raw) {
      const message = parseServerMessage(text);
      if (message?.kind === 'output') sequencer.push(message);
    }
    expect(shown).toEqual(['stdout:out0\n', 'stderr:err0\n', 'stdout:out1\n', 'stderr:err1\n']);
  });
});
