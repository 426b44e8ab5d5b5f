import { describe, expect, it } from 'vitest';
import { parseSse, SseParser } from './sse';

const STREAM = 'event: start\ndata: {"provider":"groq"}\n\n'
  + 'event: delta\ndata: {"text":"Hello"}\n\n'
  + 'event: delta\ndata: {"text":" world\\n"}\n\n'
  + 'event: done\ndata: {"text":"Hello world\\n","code":null}\n\n';

describe('SseParser', () => {
  it('parses whole frames', () => {
    const events = parseSse(STREAM);
    expect(events.map((event) => event.event)).toEqual(['start', 'delta', 'delta', 'done']);
    expect(JSON.parse(events[1].data)).toEqual({ text: 'Hello' });
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const expected = parseSse(STREAM);
    for (let size = 1; size <= 17; size++) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < STREAM.length; i += size) events.push(...parser.push(STREAM.slice(i, i + size)));
      events.push(...parser.end());
      expect(events).toEqual(expected);
    }
  });

  it('emits an event only when its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('event: delta\nda')).toEqual([]);
    expect(parser.push('ta: {"text":"a"}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'delta', data: '{"text":"a"}' }]);
  });

  it('handles CRLF and CR line ends, split between chunks', () => {
    const parser = new SseParser();
    const events = [...parser.push('event: delta\r'), ...parser.push('\ndata: x\r\n\r'), ...parser.push('\nevent: done\rdata: y\r\r')];
    expect(events).toEqual([{ event: 'delta', data: 'x' }]);
    events.push(...parser.end());
    expect(events).toEqual([{ event: 'delta', data: 'x' }, { event: 'done', data: 'y' }]);
  });

  it('joins multi-line data, skips comments, defaults the event name', () => {
    expect(parseSse(': keep-alive\n\ndata: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('keeps a value without the optional space and a last frame without its blank line', () => {
    expect(parseSse('event:error\ndata:{"error":{}}')).toEqual([{ event: 'error', data: '{"error":{}}' }]);
  });
});
