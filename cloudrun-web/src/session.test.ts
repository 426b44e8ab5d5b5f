import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renewalDelay, RETRY_MS, SessionKeeper, tokenTimes } from './session';

const DAY = 24 * 3600 * 1000;

/** A JWT-shaped token (the signature is not the client's business). */
function token(issuedAtMs: number, expiresAtMs: number): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'ü-user', iat: issuedAtMs / 1000, exp: expiresAtMs / 1000 })}.sig`;
}

describe('token times', () => {
  it('reads iat and exp, and rejects what is not a token', () => {
    expect(tokenTimes(token(1_000_000_000_000, 1_000_604_800_000))).toEqual({ issuedAt: 1_000_000_000_000, expiresAt: 1_000_604_800_000 });
    expect(tokenTimes('garbage')).toBeNull();
    expect(tokenTimes('a.!!!.c')).toBeNull();
    expect(tokenTimes(`x.${btoa('{"exp":5}')}.y`)).toBeNull();
  });

  it('renews half-way through the life, at once when past that, never when expired', () => {
    const start = 1_700_000_000_000;
    const week = token(start, start + 7 * DAY);
    expect(renewalDelay(week, start)).toBe(3.5 * DAY);
    expect(renewalDelay(week, start + 3 * DAY)).toBe(0.5 * DAY);
    expect(renewalDelay(week, start + 6 * DAY)).toBe(0);
    expect(renewalDelay(week, start + 7 * DAY)).toBeNull();
    expect(renewalDelay('not a token', start)).toBeNull();
  });
});

describe('session keeper', () => {
  beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(1_700_000_000_000); });
  afterEach(() => vi.useRealTimers());

  it('renews when due, then plans the next renewal from the new token', async () => {
    let current = token(Date.now() - 5 * DAY, Date.now() + 2 * DAY);
    const renew = vi.fn(async () => { current = token(Date.now(), Date.now() + 7 * DAY); });
    const keeper = new SessionKeeper(() => current, renew);
    keeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(renew).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3.5 * DAY - 1000);
    expect(renew).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(renew).toHaveBeenCalledTimes(2);
    keeper.stop();
    await vi.advanceTimersByTimeAsync(10 * DAY);
    expect(renew).toHaveBeenCalledTimes(2);
  });

  it('retries a failed renewal a minute later, and stops once the token has expired', async () => {
    const current = token(Date.now() - 6 * DAY, Date.now() + DAY);
    const renew = vi.fn(async () => { throw new Error('offline'); });
    const keeper = new SessionKeeper(() => current, renew);
    keeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(renew).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(renew).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2 * DAY);
    const calls = renew.mock.calls.length;
    expect(calls).toBeLessThanOrEqual(2 + DAY / RETRY_MS + 1);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(renew).toHaveBeenCalledTimes(calls);
  });

  it('does nothing without a token', async () => {
    const renew = vi.fn(async () => {});
    new SessionKeeper(() => null, renew).start();
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(renew).not.toHaveBeenCalled();
  });
});
