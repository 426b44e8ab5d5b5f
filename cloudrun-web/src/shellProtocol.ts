/**
 * The terminal WebSocket's messages (`/ws/terminal/{projectId}`, docs/protocol.md of cloudrun-server):
 * what the IDE sends to start, feed, resize and hang up a shell, and the server's answers as a small
 * union. Anything the IDE does not know becomes null and is ignored.
 */

export type ShellServerMessage =
  | { kind: 'authenticated' }
  | { kind: 'opened'; terminalId: string; reattached: boolean }
  | { kind: 'output'; data: string }
  | { kind: 'exit'; status: number | null }
  | { kind: 'filesChanged'; paths: string[] | null; skipped: Record<string, string> }
  | { kind: 'error'; code: string; message: string };

type Json = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The files a change did not bring into the project, with why (`{"big.bin": "larger than 2 MiB"}`). */
function skippedFiles(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Json).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** One server message, or null when it is not one the IDE knows. */
export function parseShellMessage(raw: string): ShellServerMessage | null {
  let message: Json;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    message = parsed as Json;
  } catch {
    return null;
  }
  switch (text(message.type)) {
    case 'authenticated':
      return { kind: 'authenticated' };
    case 'opened':
      return { kind: 'opened', terminalId: text(message.terminalId) ?? '', reattached: message.reattached === true };
    case 'output':
      return { kind: 'output', data: text(message.data) ?? '' };
    case 'exit':
      return { kind: 'exit', status: typeof message.status === 'number' && Number.isInteger(message.status) ? message.status : null };
    case 'files_changed':
      // No list: something changed, the IDE looks at everything again.
      return {
        kind: 'filesChanged',
        paths: Array.isArray(message.paths) ? message.paths.filter((path): path is string => typeof path === 'string') : null,
        skipped: skippedFiles(message.skipped),
      };
    case 'error': {
      const error = (message.error && typeof message.error === 'object' ? message.error : message) as Json;
      return { kind: 'error', code: text(error.code) ?? 'error', message: text(error.message) ?? 'The server reported an error.' };
    }
    default:
      return null;
  }
}

export const authMessage = (token: string): Json => ({ type: 'auth', token });

/** Starts a shell, or with `terminalId` re-attaches to one whose socket dropped. */
export function openMessage(cols: number, rows: number, terminalId?: string | null): Json {
  return terminalId ? { type: 'open', terminalId, cols, rows } : { type: 'open', cols, rows };
}

export const inputMessage = (data: string): Json => ({ type: 'input', data });
export const resizeMessage = (cols: number, rows: number): Json => ({ type: 'resize', cols, rows });
export const hangUpMessage = (): Json => ({ type: 'close' });
