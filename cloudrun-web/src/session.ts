/**
 * Keeping a signed-in session alive. The server's tokens live for a week (JWT `iat`/`exp`); the
 * IDE renews its token half-way through that life, so someone who keeps working is never signed
 * out, while a token left alone on a shelf still runs out.
 */

/** setTimeout's largest delay; longer waits are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** After a failed renewal (server unreachable), when to try again. */
export const RETRY_MS = 60_000;

/** The `iat` and `exp` claims of a JWT in milliseconds, or null if the token cannot be read. */
export function tokenTimes(token: string): { issuedAt: number; expiresAt: number } | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as { iat?: unknown; exp?: unknown };
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp <= claims.iat) return null;
    return { issuedAt: claims.iat * 1000, expiresAt: claims.exp * 1000 };
  } catch {
    return null;
  }
}

/**
 * How long to wait before renewing a token: until half its life has passed (0 if it already has).
 * Null when there is nothing to renew: the token is unreadable or already expired (the server
 * will say so, and the sign-in screen explains it).
 */
export function renewalDelay(token: string, now: number): number | null {
  const times = tokenTimes(token);
  if (!times || times.expiresAt <= now) return null;
  const due = times.issuedAt + (times.expiresAt - times.issuedAt) / 2;
  return Math.max(0, due - now);
}

/** Renews the session's token when it is due, while the page is open. */
export class SessionKeeper {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;

  /**
   * @param token the current token
   * @param renew asks the server for a new token and stores it; rejects when that failed
   * @param now the clock
   */
  constructor(private readonly token: () => string | null, private readonly renew: () => Promise<void>,
              private readonly now: () => number = Date.now) {}

  /** Starts (or re-plans) renewal; call again after the page was hidden, since timers sleep with the laptop. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay?: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const token = this.token();
    const wait = delay ?? (token ? renewalDelay(token, this.now()) : null);
    if (wait === null) return;
    this.timer = setTimeout(() => void this.fire(), Math.min(wait, MAX_TIMER_MS));
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    const token = this.token();
    const wait = token ? renewalDelay(token, this.now()) : null;
    if (wait === null) return;
    if (wait > 0) { this.schedule(wait); return; } // a long wait taken in steps
    try {
      await this.renew();
      this.schedule();
    } catch {
      this.schedule(RETRY_MS);
    }
  }
}
