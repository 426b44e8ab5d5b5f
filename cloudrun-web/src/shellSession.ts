/**
 * One shell over the terminal WebSocket (`/ws/terminal/{projectId}`): authenticates, opens the shell at
 * the terminal's size, sends keystrokes and resizes, and hands the server's output, exit and file
 * changes to its {@link ShellEvents}. When the connection drops while the shell runs (a network blip,
 * a laptop lid), it re-attaches to the same shell with its terminalId, retrying with a growing delay
 * for as long as the server keeps a dropped shell (`CLOUDRUN_TERMINAL_REATTACH_SECONDS`, 60 s); what
 * is typed meanwhile (a little) is sent once it is back. Given a `terminalId` (kept over a page reload),
 * it re-attaches to that shell from the start.
 */
import { Api } from './api';
import { authMessage, hangUpMessage, inputMessage, openMessage, parseShellMessage, resizeMessage, type ShellServerMessage } from './shellProtocol';

/** What a session needs of a WebSocket (a browser WebSocket through {@link browserSocket}, or a test's fake). */
export interface ShellSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ShellSocketHandlers {
  open(): void;
  message(data: string): void;
  close(code: number, reason: string): void;
}

export type ConnectShellSocket = (url: string, handlers: ShellSocketHandlers) => ShellSocket;

/** A browser WebSocket behind {@link ShellSocket}: text frames only. */
export const browserSocket: ConnectShellSocket = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.addEventListener('open', () => handlers.open());
  socket.addEventListener('message', (event) => { if (typeof event.data === 'string') handlers.message(event.data); });
  socket.addEventListener('close', (event) => handlers.close(event.code, event.reason));
  return socket;
};

export type ShellState = 'connecting' | 'running' | 'reconnecting' | 'ended';

export interface ShellEvents {
  /** The shell started, or (`reattached`) came back after a dropped connection: its recent output follows. */
  opened(terminalId: string, reattached: boolean): void;
  /** Terminal output (text, with the program's escape sequences). */
  output(data: string): void;
  /** The connection dropped while the shell runs: the session is re-attaching. */
  reconnecting(): void;
  /**
   * The shell changed project files (null: which ones is not known); `skipped` names the files the
   * server did not take into the project, with why (too big, for example).
   */
  filesChanged(paths: string[] | null, skipped: Record<string, string>): void;
  /** The shell ended (null: the status is not known). */
  exited(status: number | null): void;
  /** The shell could not be started or re-attached: the server's error code (or the session's own) and why. */
  failed(code: string, message: string): void;
  /** A problem the server reported while the shell goes on (input too fast, for example). */
  notice(code: string, message: string): void;
}

export interface ShellSessionOptions {
  projectId: string;
  /** The signed-in user's token (null once signed out). */
  token(): string | null;
  /** The terminal's size now. */
  size(): { cols: number; rows: number };
  events: ShellEvents;
  connect?: ConnectShellSocket;
  /** The socket's address; by default this page's server. */
  url?: string;
  /** How long after a drop re-attaching is still tried. */
  reattachWindowMs?: number;
  /**
   * A shell of this project to re-attach to instead of starting one (one the page had before it was
   * reloaded); if the server no longer has it, the session fails with `not_found`.
   */
  terminalId?: string;
}

/** Delays between re-attach attempts; the last one repeats. */
export const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 5000];
/** An attempt whose shell has not opened by then is abandoned (a network that swallows packets never closes). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
export const REATTACH_WINDOW_MS = 60_000;
/** Keystrokes kept while disconnected; more are dropped (with a notice). */
export const PENDING_INPUT_CHARS = 4096;
/** Input goes in messages of at most this many characters (a paste of a large file is split). */
export const INPUT_CHUNK_CHARS = 8192;

/** Server errors after which trying again cannot help. */
const CLOSE_REASONS: Record<number, [string, string]> = {
  4401: ['unauthorized', 'Your session has expired or was signed out: sign in again to open a shell.'],
  4404: ['not_found', 'This project does not exist or is not yours.'],
  1008: ['policy', 'The server refused the shell connection.'],
  1009: ['message_too_big', 'A message was too big for the server.'],
  4409: ['reattached', 'This shell was opened in another window.'],
};

export class ShellSession {
  private socket: ShellSocket | null = null;
  private stateNow: ShellState = 'connecting';
  private id: string | null = null;
  /** Whether the current socket has its shell (after `opened`). */
  private attached = false;
  /** An error that ends the shell for this window (another one took it over): reported when the socket closes. */
  private fatal: { code: string; message: string } | null = null;
  private exitSeen = false;
  private hangUpRequested = false;
  private disposed = false;
  private droppedAt: number | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private pending = '';
  private droppedInput = false;
  private sentSize: { cols: number; rows: number } | null = null;
  private readonly events: ShellEvents;
  private readonly connectSocket: ConnectShellSocket;
  private readonly url: string;
  private readonly reattachWindowMs: number;

  constructor(private readonly options: ShellSessionOptions) {
    this.events = options.events;
    this.connectSocket = options.connect ?? browserSocket;
    this.url = options.url ?? Api.terminalSocketUrl(options.projectId);
    this.reattachWindowMs = options.reattachWindowMs ?? REATTACH_WINDOW_MS;
    this.id = options.terminalId ?? null;
  }

  get state(): ShellState {
    return this.stateNow;
  }

  /** The server's id of this shell, once it opened. */
  get terminalId(): string | null {
    return this.id;
  }

  /** Connects and opens the shell. */
  start(): void {
    if (this.socket || this.stateNow === 'ended') return;
    this.connect();
  }

  /** Keystrokes or pasted text, as typed. */
  input(data: string): void {
    if (!data || this.stateNow === 'ended') return;
    if (this.attached && this.socket) {
      for (let start = 0; start < data.length; start += INPUT_CHUNK_CHARS) {
        this.send(inputMessage(data.slice(start, start + INPUT_CHUNK_CHARS)));
      }
      return;
    }
    const room = PENDING_INPUT_CHARS - this.pending.length;
    if (data.length > room) {
      if (!this.droppedInput) this.events.notice('input_dropped', 'Some typing was dropped while the shell was disconnected.');
      this.droppedInput = true;
    }
    this.pending += data.slice(0, Math.max(0, room));
  }

  /** The terminal's size changed: the shell is told (now, or when it is back). */
  resize(cols: number, rows: number): void {
    if (!this.attached || !this.socket || cols < 1 || rows < 1) return;
    if (this.sentSize && this.sentSize.cols === cols && this.sentSize.rows === rows) return;
    this.sentSize = { cols, rows };
    this.send(resizeMessage(cols, rows));
  }

  /** Tries to re-attach now instead of at the next retry (the browser says it is online again). */
  retryNow(): void {
    if (this.stateNow !== 'reconnecting' || this.socket) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  /** Hangs up the shell: the server ends it and answers with its exit. */
  hangUp(): void {
    if (this.stateNow === 'ended') return;
    this.hangUpRequested = true;
    if (this.attached && this.socket) {
      this.send(hangUpMessage());
      return;
    }
    // Not connected: closing the socket leaves the shell to the server, which ends it when nobody re-attaches.
    this.finish();
    this.events.exited(null);
  }

  /** Hangs up and lets go of everything; no event follows. */
  dispose(): void {
    if (this.disposed) return;
    if (this.attached && this.socket && this.stateNow !== 'ended') this.send(hangUpMessage());
    this.disposed = true;
    this.finish();
  }

  private connect(): void {
    const token = this.options.token();
    if (!token) {
      this.fail('unauthorized', 'Sign in to open a shell.');
      return;
    }
    this.attached = false;
    this.fatal = null;
    this.sentSize = null;
    let socket: ShellSocket | null = null;
    const current = () => socket !== null && socket === this.socket && !this.disposed;
    socket = this.connectSocket(this.url, {
      open: () => { if (current()) socket?.send(JSON.stringify(authMessage(token))); },
      message: (data) => { if (current()) this.receive(parseShellMessage(data)); },
      close: (code, reason) => { if (current()) this.closed(code, reason); },
    });
    this.socket = socket;
    clearTimeout(this.attemptTimer);
    this.attemptTimer = setTimeout(() => {
      if (current() && !this.attached) socket?.close(4000, 'no answer');
    }, ATTEMPT_TIMEOUT_MS);
  }

  private receive(message: ShellServerMessage | null): void {
    if (!message) return;
    switch (message.kind) {
      case 'authenticated': {
        const { cols, rows } = this.options.size();
        this.sentSize = { cols, rows };
        this.send(openMessage(cols, rows, this.id));
        return;
      }
      case 'opened': {
        const reattached = this.id !== null && message.reattached;
        this.id = message.terminalId || this.id;
        this.attached = true;
        this.stateNow = 'running';
        this.droppedAt = null;
        this.attempt = 0;
        clearTimeout(this.attemptTimer);
        this.events.opened(this.id ?? '', reattached);
        const { cols, rows } = this.options.size();
        this.resize(cols, rows);
        const typed = this.pending;
        this.pending = '';
        this.droppedInput = false;
        this.input(typed);
        return;
      }
      case 'output':
        this.events.output(message.data);
        return;
      case 'filesChanged':
        this.events.filesChanged(message.paths, message.skipped);
        return;
      case 'exit':
        this.exitSeen = true;
        this.finish();
        this.events.exited(message.status);
        return;
      case 'error':
        if (!this.attached) {
          // The shell did not open (a limit, a project that is not the user's, a terminal gone): the server's words end it.
          this.fail(message.code, message.message);
        } else if (message.code === 'reattached') {
          // Another window took this shell over: taking it back would make the two fight over it.
          this.fatal = { code: message.code, message: 'This shell was opened in another window.' };
        } else {
          this.events.notice(message.code, message.message);
        }
    }
  }

  private closed(code: number, reason: string): void {
    this.socket = null;
    this.attached = false;
    clearTimeout(this.attemptTimer);
    if (this.stateNow === 'ended' || this.exitSeen) return;
    if (this.fatal) { this.fail(this.fatal.code, this.fatal.message); return; }
    if (this.hangUpRequested) { this.finish(); this.events.exited(null); return; }
    const known = CLOSE_REASONS[code];
    if (known) { this.fail(known[0], known[1]); return; }
    if (code === 1000 && this.id) { this.finish(); this.events.exited(null); return; }
    if (!this.id) {
      this.fail('connection_failed', `The shell could not be reached (${reason ? `${reason}, ` : ''}code ${code}).`);
      return;
    }
    const now = Date.now();
    if (this.droppedAt === null) {
      this.droppedAt = now;
      this.stateNow = 'reconnecting';
      this.events.reconnecting();
    }
    if (now - this.droppedAt >= this.reattachWindowMs) {
      this.fail('disconnected', 'The connection to the shell was lost and could not be restored.');
      return;
    }
    const delay = RETRY_DELAYS_MS[Math.min(this.attempt, RETRY_DELAYS_MS.length - 1)];
    this.attempt++;
    this.retryTimer = setTimeout(() => { if (!this.disposed && this.stateNow === 'reconnecting') this.connect(); }, delay);
  }

  private send(message: object): void {
    try {
      this.socket?.send(JSON.stringify(message));
    } catch {
      // The socket is closing: its close event decides what happens next.
    }
  }

  private fail(code: string, message: string): void {
    this.finish();
    this.events.failed(code, message);
  }

  private finish(): void {
    this.stateNow = 'ended';
    this.attached = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.attemptTimer);
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close(1000, 'done');
    } catch {
      // Already closed.
    }
  }
}
