import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseShellMessage } from './shellProtocol';
import { PENDING_INPUT_CHARS, REATTACH_WINDOW_MS, ShellSession, type ShellSocket, type ShellSocketHandlers } from './shellSession';

/** A socket the test drives: what the session sent, and the server's side of the conversation. */
class FakeSocket implements ShellSocket {
  readonly sent: Array<Record<string, unknown>> = [];
  closedWith: number | null = null;

  constructor(readonly url: string, private readonly handlers: ShellSocketHandlers) {}

  send(data: string): void {
    if (this.closedWith !== null) throw new Error('send on a closed socket');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    this.closedWith = code;
  }

  open(): void { this.handlers.open(); }
  server(message: object): void { this.handlers.message(JSON.stringify(message)); }
  drop(code = 1006, reason = ''): void { this.closedWith = code; this.handlers.close(code, reason); }
  types(): unknown[] { return this.sent.map((message) => message.type); }
}

function setup(size = { cols: 80, rows: 24 }, terminalId?: string) {
  const sockets: FakeSocket[] = [];
  const events: string[] = [];
  let token: string | null = 'tok';
  const session = new ShellSession({
    projectId: 'p1',
    url: 'ws://server/ws/terminal/p1',
    ...(terminalId ? { terminalId } : {}),
    token: () => token,
    size: () => size,
    connect: (url, handlers) => { const socket = new FakeSocket(url, handlers); sockets.push(socket); return socket; },
    events: {
      opened: (id, reattached) => events.push(`opened ${id} ${reattached}`),
      output: (data) => events.push(`output ${data}`),
      reconnecting: () => events.push('reconnecting'),
      filesChanged: (paths, skipped) => events.push(`files ${paths === null ? 'all' : paths.join(',')}${Object.keys(skipped).length ? ` skipped ${JSON.stringify(skipped)}` : ''}`),
      exited: (status) => events.push(`exit ${status}`),
      failed: (code, message) => events.push(`failed ${code}: ${message}`),
      notice: (code) => events.push(`notice ${code}`),
    },
  });
  const last = () => sockets[sockets.length - 1];
  /** Connects, authenticates and opens a shell called `id`. */
  const open = (id = 't1', reattached = false) => {
    last().open();
    last().server({ type: 'authenticated', userId: 'u' });
    last().server({ type: 'opened', terminalId: id, reattached });
  };
  return { session, sockets, events, last, open, size, signOut: () => { token = null; } };
}

describe('shell session', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('authenticates in the first message (the token stays out of the URL), then opens a shell at the terminal size', () => {
    const { session, sockets, events, last } = setup();
    session.start();
    expect(sockets).toHaveLength(1);
    expect(last().url).toBe('ws://server/ws/terminal/p1');
    last().open();
    expect(last().sent).toEqual([{ type: 'auth', token: 'tok' }]);
    last().server({ type: 'authenticated', userId: 'u', guest: false });
    expect(last().sent[1]).toEqual({ type: 'open', cols: 80, rows: 24 });
    last().server({ type: 'opened', terminalId: 't1', reattached: false });
    last().server({ type: 'output', data: 'user@cloudrun:~$ ' });
    expect(session.state).toBe('running');
    expect(session.terminalId).toBe('t1');
    expect(events).toEqual(['opened t1 false', 'output user@cloudrun:~$ ']);
  });

  it('sends keystrokes, resizes (only real changes) and files_changed, exit end it', () => {
    const { session, events, last, open } = setup();
    session.start();
    open();
    session.input('ls\r');
    session.resize(80, 24);
    session.resize(100, 30);
    session.resize(100, 30);
    last().server({ type: 'files_changed', paths: ['made.txt', 'src/a.py'] });
    last().server({ type: 'files_changed' });
    last().server({ type: 'files_changed', paths: [], skipped: { 'big.bin': 'larger than 2 MiB' } });
    session.hangUp();
    expect(last().sent.slice(2)).toEqual([{ type: 'input', data: 'ls\r' }, { type: 'resize', cols: 100, rows: 30 }, { type: 'close' }]);
    last().server({ type: 'exit', status: 130 });
    last().drop(1000);
    expect(events.slice(1)).toEqual(['files made.txt,src/a.py', 'files all', 'files  skipped {"big.bin":"larger than 2 MiB"}', 'exit 130']);
    expect(session.state).toBe('ended');
    session.input('more');
    expect(last().types()).not.toContain('more');
  });

  it('splits a large paste into messages the server accepts', () => {
    const { session, last, open } = setup();
    session.start();
    open();
    session.input('x'.repeat(20_000));
    const inputs = last().sent.filter((message) => message.type === 'input').map((message) => (message.data as string).length);
    expect(inputs).toEqual([8192, 8192, 3616]);
  });

  it('after a dropped connection re-attaches with the terminalId and the current size, and sends what was typed meanwhile', () => {
    const { session, sockets, events, last, open, size } = setup();
    session.start();
    open('t7');
    last().drop(1006);
    expect(session.state).toBe('reconnecting');
    session.input('echo back\r');
    size.cols = 120;
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
    last().open();
    last().server({ type: 'authenticated' });
    expect(last().sent[1]).toEqual({ type: 'open', terminalId: 't7', cols: 120, rows: 24 });
    last().server({ type: 'opened', terminalId: 't7', reattached: true });
    last().server({ type: 'output', data: 'replayed' });
    expect(last().sent.slice(2)).toEqual([{ type: 'input', data: 'echo back\r' }]);
    expect(events).toEqual(['opened t7 false', 'reconnecting', 'opened t7 true', 'output replayed']);
    expect(session.state).toBe('running');
  });

  it('keeps retrying with a growing delay while the server is away, and gives up after the re-attach window', () => {
    const { session, sockets, events, last, open } = setup();
    session.start();
    open();
    last().drop(1006);
    const started = Date.now();
    let attempts = 0;
    while (session.state === 'reconnecting' && Date.now() - started < REATTACH_WINDOW_MS + 10_000) {
      vi.advanceTimersByTime(100);
      if (sockets.length > attempts + 1) {
        attempts = sockets.length - 1;
        last().drop(1006);
      }
    }
    expect(attempts).toBeGreaterThan(5);
    expect(attempts).toBeLessThan(25);
    expect(events.at(-1)).toBe('failed disconnected: The connection to the shell was lost and could not be restored.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(REATTACH_WINDOW_MS);
  });

  it('a connection that never answers is abandoned and tried again', () => {
    const { session, sockets, open, last } = setup();
    session.start();
    open();
    last().drop(1006);
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(sockets[1].closedWith).toBe(4000);
  });

  it('when the shell is gone on the server, re-attaching reports the server\'s reason and stops', () => {
    const { session, sockets, events, last, open } = setup();
    session.start();
    open();
    last().drop(1001);
    vi.advanceTimersByTime(250);
    last().open();
    last().server({ type: 'authenticated' });
    last().server({ type: 'error', code: 'not_found', message: 'No such terminal.' });
    last().drop(4404);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
    expect(events.at(-1)).toBe('failed not_found: No such terminal.');
  });

  it('limit errors before the shell opens end it with the server\'s words; later errors are notices', () => {
    const first = setup();
    first.session.start();
    first.last().open();
    first.last().server({ type: 'authenticated' });
    first.last().server({ type: 'error', code: 'too_many_terminals', message: 'At most 8 terminals at once.' });
    // The server leaves the socket open after such an error: the session closes it itself.
    expect(first.events).toEqual(['failed too_many_terminals: At most 8 terminals at once.']);
    expect(first.last().closedWith).toBe(1000);

    const second = setup();
    second.session.start();
    second.open();
    second.last().server({ type: 'error', code: 'input_rate_limit', message: 'Too fast.' });
    expect(second.events).toEqual(['opened t1 false', 'notice input_rate_limit']);
    expect(second.session.state).toBe('running');
  });

  it('a shell taken over by another window is not taken back', () => {
    const { session, sockets, events, last, open } = setup();
    session.start();
    open();
    last().server({ type: 'error', code: 'reattached', message: 'another connection re-attached to this terminal' });
    last().drop(4409);
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(events).toEqual(['opened t1 false', 'failed reattached: This shell was opened in another window.']);
  });

  it('an expired session (4401) and a server that cannot be reached are not retried', () => {
    const expired = setup();
    expired.session.start();
    expired.last().open();
    expired.last().drop(4401);
    vi.advanceTimersByTime(10_000);
    expect(expired.sockets).toHaveLength(1);
    expect(expired.events[0]).toMatch(/^failed unauthorized/);

    const away = setup();
    away.session.start();
    away.last().drop(1006);
    vi.advanceTimersByTime(10_000);
    expect(away.sockets).toHaveLength(1);
    expect(away.events).toEqual(['failed connection_failed: The shell could not be reached (code 1006).']);

    const signedOut = setup();
    signedOut.signOut();
    signedOut.session.start();
    expect(signedOut.sockets).toHaveLength(0);
    expect(signedOut.events[0]).toMatch(/^failed unauthorized/);
  });

  it('typing while disconnected is kept up to a bound', () => {
    const { session, events, last, open } = setup();
    session.start();
    open();
    last().drop(1006);
    session.input('a'.repeat(PENDING_INPUT_CHARS - 2));
    session.input('bcdef');
    expect(events.filter((event) => event.startsWith('notice'))).toEqual(['notice input_dropped']);
    session.retryNow();
    open();
    const sent = last().sent.filter((message) => message.type === 'input').map((message) => message.data as string).join('');
    expect(sent).toBe(`${'a'.repeat(PENDING_INPUT_CHARS - 2)}bc`);
  });

  it('dispose hangs up and nothing is reported afterwards', () => {
    const { session, events, last, open } = setup();
    session.start();
    open();
    session.dispose();
    expect(last().types().at(-1)).toBe('close');
    expect(last().closedWith).toBe(1000);
    last().server({ type: 'output', data: 'late' });
    expect(events).toEqual(['opened t1 false']);
  });
});

describe('shell messages', () => {
  it('parses what the server sends and ignores what it does not know', () => {
    expect(parseShellMessage('{"type":"exit","status":0}')).toEqual({ kind: 'exit', status: 0 });
    expect(parseShellMessage('{"type":"exit"}')).toEqual({ kind: 'exit', status: null });
    expect(parseShellMessage('{"type":"opened","terminalId":"x","reattached":true}')).toEqual({ kind: 'opened', terminalId: 'x', reattached: true });
    expect(parseShellMessage('{"type":"files_changed","paths":["a",1]}')).toEqual({ kind: 'filesChanged', paths: ['a'], skipped: {} });
    expect(parseShellMessage('{"type":"files_changed","paths":[],"skipped":{"b":"too big","c":1}}'))
      .toEqual({ kind: 'filesChanged', paths: [], skipped: { b: 'too big' } });
    expect(parseShellMessage('{"type":"error","code":"too_many_workspaces","message":"m"}'))
      .toEqual({ kind: 'error', code: 'too_many_workspaces', message: 'm' });
    expect(parseShellMessage('{"type":"pong"}')).toBeNull();
    expect(parseShellMessage('[1]')).toBeNull();
    expect(parseShellMessage('not json')).toBeNull();
  });
  it('given a terminalId (kept over a reload) re-attaches to that shell from the start, and fails with not_found when it is gone', () => {
    const kept = setup({ cols: 80, rows: 24 }, 't7');
    kept.session.start();
    kept.last().open();
    kept.last().server({ type: 'authenticated', userId: 'u' });
    expect(kept.last().sent[1]).toEqual({ type: 'open', cols: 80, rows: 24, terminalId: 't7' });
    kept.last().server({ type: 'opened', terminalId: 't7', reattached: true });
    expect(kept.events).toEqual(['opened t7 true']);

    const gone = setup({ cols: 80, rows: 24 }, 't8');
    gone.session.start();
    gone.last().open();
    gone.last().server({ type: 'authenticated', userId: 'u' });
    gone.last().server({ type: 'error', code: 'not_found', message: 'no such terminal' });
    expect(gone.events).toEqual(['failed not_found: no such terminal']);
    expect(gone.session.state).toBe('ended');
  });
});
