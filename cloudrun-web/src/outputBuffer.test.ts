import { describe, expect, it } from 'vitest';
import { OutputBuffer } from './outputBuffer';

function harness(maxPerFrame: number) {
  const frames: Array<() => void> = [];
  const writes: string[] = [];
  const callbacks: Array<() => void> = [];
  const buffer = new OutputBuffer(
    { write: (data, callback) => { writes.push(data); callbacks.push(callback); } },
    (callback) => frames.push(callback),
    maxPerFrame,
  );
  const frame = () => frames.shift()?.();
  const parsed = () => callbacks.shift()?.();
  return { buffer, frames, writes, frame, parsed };
}

describe('OutputBuffer', () => {
  it('coalesces pushes into one write per frame', () => {
    const { buffer, writes, frames, frame, parsed } = harness(1000);
    buffer.push('a');
    buffer.push('b');
    buffer.push('c');
    expect(frames.length).toBe(1);
    frame();
    expect(writes).toEqual(['abc']);
    parsed();
    expect(buffer.pending).toBe(0);
  });

  it('splits big output across frames and waits for the terminal', async () => {
    const { buffer, writes, frames, frame, parsed } = harness(4);
    buffer.push('0123456789');
    frame();
    expect(writes).toEqual(['0123']);
    buffer.push('X');
    expect(frames.length).toBe(0); // still writing: no new frame until the terminal parsed the batch
    parsed();
    frame();
    parsed();
    frame();
    expect(writes).toEqual(['0123', '4567', '89X']);
    const idle = buffer.whenIdle();
    parsed();
    await idle;
    expect(buffer.pending).toBe(0);
  });

  it('keeps up with 10 MB without one huge write', () => {
    const { buffer, writes, frame, parsed } = harness(256 * 1024);
    const line = 'x'.repeat(99) + '\n';
    for (let index = 0; index < 100_000; index++) buffer.push(line);
    let frames = 0;
    while (buffer.pending > 0) {
      frame();
      parsed();
      frames++;
    }
    expect(writes.every((write) => write.length <= 256 * 1024)).toBe(true);
    expect(writes.join('').length).toBe(10_000_000);
    expect(frames).toBe(Math.ceil(10_000_000 / (256 * 1024)));
  });

  it('drops pending output on clear', () => {
    const { buffer, writes, frame } = harness(10);
    buffer.push('abc');
    buffer.clear();
    frame();
    expect(writes).toEqual([]);
  });
});
