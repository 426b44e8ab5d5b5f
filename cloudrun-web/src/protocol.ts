/**
 * The run WebSocket's messages (docs/protocol.md of cloudrun-server), turned into a small union the
 * UI switches on. Parsing accepts a few spellings of the same field so that the IDE keeps working
 * while the protocol settles; anything it does not know becomes null and is ignored.
 */

export type Stream = 'stdout' | 'stderr' | 'compiler' | 'install';

export interface RunResult {
  runId?: string;
  status: string;
  exitCode: number | null;
  signal: number | null;
  wallTimeMs: number | null;
  cpuTimeMs: number | null;
  memoryBytes: number | null;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  message: string | null;
  missingDependencies: string[];
}

export type ServerMessage =
  | { kind: 'authenticated' }
  | { kind: 'accepted'; runId: string }
  | { kind: 'phase'; phase: string }
  | { kind: 'output'; stream: Stream; data: string; seq?: number | null }
  | { kind: 'missingDependency'; packages: string[]; message: string | null }
  | { kind: 'installStarted'; packages: string[] }
  | { kind: 'installFinished'; packages: string[]; success: boolean; message: string }
  | { kind: 'finished'; result: RunResult }
  | { kind: 'error'; code: string; message: string };

type Json = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : typeof value === 'string' ? [value] : [];

/** The output message's place in its run's output (`seq`), when the server numbers them. */
const sequence = (message: Json): { seq?: number } => {
  const seq = number(message.seq);
  return seq !== null && Number.isInteger(seq) ? { seq } : {};
};

function normalType(type: string): string {
  return type.replace(/[-_]/g, '').toLowerCase();
}

export function parseResult(raw: Json): RunResult {
  const source = (raw.result && typeof raw.result === 'object' ? raw.result : raw) as Json;
  return {
    runId: text(source.runId) ?? text(raw.runId) ?? undefined,
    status: text(source.status) ?? 'INTERNAL_ERROR',
    exitCode: number(source.exitCode),
    signal: number(source.signal),
    wallTimeMs: number(source.wallTimeMs),
    cpuTimeMs: number(source.cpuTimeMs),
    memoryBytes: number(source.memoryBytes) ?? number(source.peakMemoryBytes),
    stdoutTruncated: source.stdoutTruncated === true,
    stderrTruncated: source.stderrTruncated === true,
    message: text(source.message),
    // The packages to install when the server names them, else the modules the program failed to import.
    missingDependencies: strings(source.missingPackages).length > 0 ? strings(source.missingPackages) : strings(source.missingDependencies),
  };
}

/** One server message, or null when it is not one the IDE knows. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let message: Json;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object') return null;
    message = parsed as Json;
  } catch {
    return null;
  }
  const type = text(message.type);
  if (!type) return null;
  const data = text(message.data) ?? text(message.text) ?? text(message.chunk) ?? '';
  switch (normalType(type)) {
    case 'authenticated':
      return { kind: 'authenticated' };
    case 'accepted':
    case 'started':
      return { kind: 'accepted', runId: text(message.runId) ?? text(message.id) ?? '' };
    case 'phase':
      return { kind: 'phase', phase: (text(message.phase) ?? '').toUpperCase() };
    case 'stdout':
    case 'stderr':
    case 'compiler':
    case 'install':
      return { kind: 'output', stream: normalType(type) as Stream, data, ...sequence(message) };
    case 'output': {
      const stream = (text(message.stream) ?? 'stdout').toLowerCase();
      return { kind: 'output', stream: (['stderr', 'compiler', 'install'].includes(stream) ? stream : 'stdout') as Stream, data,
        ...sequence(message) };
    }
    case 'missingdependency':
    case 'missingdependencies':
      return {
        kind: 'missingDependency',
        // Package names when the server knows them (cv2 is installed as opencv-python-headless), else module names.
        packages: strings(message.packages).length > 0 ? strings(message.packages)
          : [...strings(message.modules), ...strings(message.module), ...strings(message.package)],
        message: text(message.message),
      };
    case 'installstarted':
      return { kind: 'installStarted', packages: strings(message.packages) };
    case 'installfinished':
      return {
        kind: 'installFinished',
        packages: strings(message.packages),
        success: message.success === true,
        message: text(message.message) ?? '',
      };
    case 'finished':
    case 'result':
      return { kind: 'finished', result: parseResult(message) };
    case 'error': {
      const error = (message.error && typeof message.error === 'object' ? message.error : message) as Json;
      return { kind: 'error', code: text(error.code) ?? 'error', message: text(error.message) ?? 'The server reported an error.' };
    }
    default:
      return null;
  }
}

export interface StartOptions {
  token: string;
  projectId: string;
  entry: string;
  language?: string;
  stdin?: string;
  args?: string[];
  installPackages?: string[];
  /** Terminal mode: the program gets one pseudo-terminal for stdin, stdout and stderr (exact order, isatty true). */
  terminal?: boolean;
}

/** The message that starts a run of a saved project; with stdin given up front the run is not interactive. */
export function startMessage(options: StartOptions): Json {
  const message: Json = {
    type: 'start',
    token: options.token,
    projectId: options.projectId,
    entry: options.entry,
    // Colour libraries (chalk, rich, colorama...) only colour a TTY unless told; the terminal shows ANSI.
    env: { FORCE_COLOR: '1', TERM: 'xterm-256color' },
  };
  if (options.language) message.language = options.language;
  if (options.args && options.args.length > 0) message.args = options.args;
  if (options.terminal) message.terminal = true;
  if (options.stdin !== undefined && options.stdin !== '') {
    message.stdin = options.stdin;
  } else {
    message.interactive = true;
  }
  if (options.installPackages && options.installPackages.length > 0) {
    // The SDK's auto-install (RunRequest.withAutoInstall); servers that do not know these fields ignore them.
    message.autoInstall = true;
    message.install = options.installPackages;
  }
  return message;
}

export const stdinMessage = (data: string): Json => ({ type: 'stdin', data });
export const closeStdinMessage = (): Json => ({ type: 'stdin_close' });
export const stopMessage = (): Json => ({ type: 'stop' });

/** Statuses that end a run well or badly, with the colour the result line uses. */
export function statusTone(status: string): 'ok' | 'warn' | 'error' {
  if (status === 'OK') return 'ok';
  if (status === 'CANCELLED' || status === 'OUTPUT_LIMIT' || status === 'TIME_LIMIT') return 'warn';
  return 'error';
}
