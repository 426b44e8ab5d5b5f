/** One run over the WebSocket /ws/run: start, stdin, close stdin, stop, and the server's messages. */
import { Api } from './api';
import { closeStdinMessage, parseServerMessage, startMessage, stdinMessage, stopMessage, type ServerMessage, type StartOptions } from './protocol';

export class RunSession {
  private readonly socket: WebSocket;
  private finished = false;
  private accepted = false;
  private stopRequested = false;

  constructor(options: StartOptions, onMessage: (message: ServerMessage) => void, onClosed: (reason: string | null) => void) {
    this.socket = new WebSocket(`${Api.runSocketUrl()}?token=${encodeURIComponent(options.token)}`);
    this.socket.addEventListener('open', () => this.socket.send(JSON.stringify(startMessage(options))));
    this.socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (!message) return;
      if (message.kind === 'accepted') this.accepted = true;
      if (message.kind === 'finished') this.finished = true;
      // An error before 'accepted' means the run never started (quota, bad request): nothing will follow.
      if (message.kind === 'error' && !this.accepted) this.finished = true;
      onMessage(message);
      if (message.kind === 'error' && !this.accepted && this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, 'not started');
      if (message.kind === 'finished' && this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, 'finished');
    });
    this.socket.addEventListener('close', (event) => {
      if (this.finished) {
        onClosed(null);
      } else if (this.stopRequested && event.code === 1000) {
        onClosed(null);
      } else {
        onClosed(event.reason ? `${event.reason} (code ${event.code})` : `the connection closed (code ${event.code})`);
      }
    });
  }

  /** Whether the server accepted the run (an error before that means it never started). */
  get wasAccepted(): boolean {
    return this.accepted;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private send(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  stdin(data: string): void {
    this.send(stdinMessage(data));
  }

  closeStdin(): void {
    this.send(closeStdinMessage());
  }

  stop(): void {
    this.stopRequested = true;
    if (this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close();
    } else {
      this.send(stopMessage());
    }
  }

  dispose(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
  }
}
