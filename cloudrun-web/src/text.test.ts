import { describe, expect, it } from 'vitest';
import { asText, base64OfBytes, formatBytes, formatMillis } from './text';

describe('text', () => {
  it('tells text from binary', () => {
    expect(asText(new TextEncoder().encode('héllo'))).toBe('héllo');
    expect(asText(new Uint8Array([0x89, 0x50, 0x00]))).toBeNull();
    expect(asText(new Uint8Array([0xff, 0xfe, 0x41]))).toBeNull();
  });

  it('formats sizes and times', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(9_800_000)).toBe('9.3 MB');
    expect(formatMillis(120)).toBe('120 ms');
    expect(formatMillis(1500)).toBe('1.50 s');
    expect(formatMillis(125_000)).toBe('2:05 min');
  });

  it('encodes base64 binary-safe', () => {
    expect(base64OfBytes(new Uint8Array([0, 255, 128]))).toBe('AP+A');
  });
});
