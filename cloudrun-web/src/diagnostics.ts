/**
 * Problems found in a run's compiler output and stderr: gcc/g++ and javac messages, Python
 * tracebacks (the last frame in a project file; a SyntaxError's caret gives the column), Node.js
 * stack traces and SyntaxErrors, and Java exceptions' stack traces. Paths in the sandbox (/work, the
 * workspace both backends run in) are mapped to project files; frames outside the project are ignored.
 */

export type Severity = 'error' | 'warning' | 'info';

/** One problem, at a project file's line (1-based) and, when known, its column range (1-based, end exclusive). */
export interface Diagnostic {
  path: string;
  line: number;
  column: number | null;
  endColumn: number | null;
  severity: Severity;
  message: string;
  source: 'gcc' | 'javac' | 'python' | 'node' | 'java';
}

export interface DiagnosticOptions {
  /** The project's file paths (relative, `src/util.py`). */
  files: readonly string[];
  /** The file the run started from: an absolute path ending in it tells the workspace folder. */
  entry?: string | null;
  /** Absolute folders the project lives in while it runs (default: the sandbox's /work). */
  roots?: readonly string[];
  /** A project file's line (1-based), to place a Python caret whose source line was shown dedented. */
  lineText?: (path: string, line: number) => string | null;
}

/** Where both backends put the project while it runs (LocalSandbox and DockerSandbox bind it at /work). */
export const SANDBOX_ROOTS: readonly string[] = ['/work/'];
/** Only the end of a long output is read (where errors are), and at most this many problems are kept. */
export const MAX_PARSED_CHARS = 64 * 1024;
export const MAX_DIAGNOSTICS = 100;

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

const COMPILER_LINE = /^(?<file>[^\s:][^:\n]*?):(?<line>\d+):(?:(?<column>\d+):)? (?<severity>fatal error|error|warning|note): (?<message>.*)$/;
const PYTHON_FRAME = /^\s*File "(?<file>[^"]+)", line (?<line>\d+)(?:, in .*)?$/;
const PYTHON_WARNING = /^(?<file>\S+\.py):(?<line>\d+): (?<message>\w*Warning: .*)$/;
const EXCEPTION_LINE = /^(?:Uncaught )?(?:[A-Za-z_$][\w$]*\.)*(?:[A-Za-z_$][\w$]*)?(?:Error|Exception|Interrupt|Exit|Warning|Iteration)\b(?::.*)?$/;
const NODE_HEADER = /^(?<file>(?:file:\/\/)?\/[^:\s]+|[^:\s/][^:\s]*\.[cm]?[jt]s):(?<line>\d+)$/;
const NODE_FRAME = /^\s+at (?:.*? \()?(?<file>(?:file:\/\/)?[^()\s]+?):(?<line>\d+):(?<column>\d+)\)?$/;
const JAVA_EXCEPTION = /^(?:Exception in thread "[^"]*" )?(?<message>(?:[a-zA-Z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error)\b.*)$/;
const JAVA_FRAME = /^\s+at (?:[\w$.\/@<>]+)\((?<file>[\w$]+\.java):(?<line>\d+)\)$/;
const CARET_LINE = /^(?<indent>\s*)(?<marks>[~^]*\^[~^]*)\s*$/;

/** The problems in a run's output (compiler output and stderr, in the order written), in the order found. */
export function parseDiagnostics(output: string, options: DiagnosticOptions): Diagnostic[] {
  const text = (output.length > MAX_PARSED_CHARS ? output.slice(output.length - MAX_PARSED_CHARS) : output)
    .replace(ANSI_ESCAPE, '').replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  const paths = new PathMapper(options.files, [...(options.roots ?? SANDBOX_ROOTS), ...inferredRoots(text, options.entry)]);
  const found = [
    ...compilerDiagnostics(lines, paths),
    ...pythonDiagnostics(lines, paths, options.lineText ?? (() => null)),
    ...nodeDiagnostics(lines, paths),
    ...javaDiagnostics(lines, paths),
  ];
  const seen = new Set<string>();
  const unique: Diagnostic[] = [];
  for (const diagnostic of found) {
    const key = `${diagnostic.path}:${diagnostic.line}:${diagnostic.column}:${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(diagnostic);
    if (unique.length === MAX_DIAGNOSTICS) break;
  }
  return unique;
}

/** Maps a path as a tool printed it to a project file, or null when it is outside the project. */
export class PathMapper {
  private readonly files: Set<string>;
  private readonly roots: string[];

  constructor(files: readonly string[], roots: readonly string[]) {
    this.files = new Set(files);
    this.roots = roots.map((root) => (root.endsWith('/') ? root : `${root}/`));
  }

  map(printed: string): string | null {
    let path = printed.startsWith('file://') ? decodeURIComponent(printed.slice('file://'.length)) : printed;
    if (path.startsWith('/')) {
      const root = this.roots.filter((candidate) => path.startsWith(candidate)).sort((a, b) => b.length - a.length)[0];
      if (!root) return null;
      path = path.slice(root.length);
    }
    const normal = normalise(path);
    return normal !== null && this.files.has(normal) ? normal : null;
  }

  /** A Java source file named only by its name (stack traces): the project's one file of that name. */
  mapByName(name: string): string | null {
    if (this.files.has(name)) return name;
    const matches = [...this.files].filter((file) => file.endsWith(`/${name}`));
    return matches.length === 1 ? matches[0] : null;
  }
}

/** `./src/../main.py` → `main.py`; null for a path that leaves its folder. */
function normalise(path: string): string | null {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** Workspace folders told by absolute paths that end in the entry file (a backend that runs outside /work). */
function inferredRoots(text: string, entry: string | null | undefined): string[] {
  if (!entry) return [];
  const suffix = `/${entry}`;
  const roots = new Set<string>();
  for (const match of text.matchAll(/(?:file:\/\/)?(\/[^\s"'():]+)/g)) {
    const path = match[1];
    if (path.endsWith(suffix) && path.length > suffix.length) roots.add(path.slice(0, path.length - entry.length));
  }
  return [...roots];
}

/** A caret line (`      ^~~~`) right under a printed source line: the columns it marks in that printed line (0-based, end exclusive). */
function caretSpan(line: string | undefined): { start: number; end: number } | null {
  if (line === undefined) return null;
  const match = CARET_LINE.exec(line);
  if (!match?.groups) return null;
  const start = match.groups.indent.length;
  return { start, end: start + match.groups.marks.length };
}

// ------------------------------------------------------------------------ gcc, g++, javac

function compilerDiagnostics(lines: string[], paths: PathMapper): Diagnostic[] {
  const found: Diagnostic[] = [];
  lines.forEach((text, index) => {
    const match = COMPILER_LINE.exec(text);
    if (!match?.groups) return;
    const path = paths.map(match.groups.file);
    if (!path) return;
    const javac = path.endsWith('.java');
    let column = match.groups.column ? Number(match.groups.column) : null;
    let endColumn: number | null = null;
    let message = match.groups.message.trim();
    if (column !== null) {
      // gcc: ` 5 |   source` then `   |   ^~~~~` marks the span.
      const marks = /^\s+\| (.*)$/.exec(lines[index + 2] ?? '');
      const caret = caretSpan(marks?.[1]);
      if (caret && /^\s*\d+ \| /.test(lines[index + 1] ?? '')) endColumn = column + (caret.end - caret.start);
    } else {
      // javac: the source line as written, then a caret under the column.
      const caret = caretSpan(lines[index + 2]);
      if (caret) {
        column = caret.start + 1;
        endColumn = caret.end + 1;
      }
      const symbol = /^\s+symbol:\s+(.*)$/.exec(lines[index + 3] ?? '');
      if (symbol) message = `${message}: ${symbol[1].trim()}`;
    }
    const severity: Severity = match.groups.severity === 'note' ? 'info' : match.groups.severity === 'warning' ? 'warning' : 'error';
    found.push({ path, line: Number(match.groups.line), column, endColumn, severity, message, source: javac ? 'javac' : 'gcc' });
  });
  return found;
}

// ------------------------------------------------------------------------ Python

interface PythonFrame { path: string; line: number; index: number }

function pythonDiagnostics(lines: string[], paths: PathMapper, lineText: (path: string, line: number) => string | null): Diagnostic[] {
  const found: Diagnostic[] = [];
  let frames: PythonFrame[] = [];
  let inTraceback = false;
  lines.forEach((text, index) => {
    const frame = PYTHON_FRAME.exec(text);
    if (frame?.groups) {
      inTraceback = true;
      const path = paths.map(frame.groups.file);
      if (path) frames.push({ path, line: Number(frame.groups.line), index });
      return;
    }
    const warning = PYTHON_WARNING.exec(text);
    if (warning?.groups) {
      const path = paths.map(warning.groups.file);
      if (path) found.push({ path, line: Number(warning.groups.line), column: null, endColumn: null, severity: 'warning', message: warning.groups.message, source: 'python' });
      return;
    }
    if (!inTraceback || /^\s/.test(text) || text === '' || text.startsWith('Traceback (most recent call last)')) return;
    // The first line at the left margin after the frames names the exception.
    inTraceback = false;
    const last = frames[frames.length - 1];
    frames = [];
    if (!last || !EXCEPTION_LINE.test(text.trim())) return;
    const span = pythonColumns(lines, last, lineText(last.path, last.line));
    found.push({ path: last.path, line: last.line, column: span?.column ?? null, endColumn: span?.endColumn ?? null,
      severity: 'error', message: text.trim(), source: 'python' });
  });
  return found;
}

/**
 * The columns under a frame's caret line. Python prints the source line without its indentation
 * (re-indented by 4 or 8), so the caret's place in the file needs the file's own line.
 */
function pythonColumns(lines: string[], frame: PythonFrame, original: string | null): { column: number; endColumn: number } | null {
  const shown = lines[frame.index + 1];
  if (shown === undefined || PYTHON_FRAME.test(shown)) return null;
  const caret = caretSpan(lines[frame.index + 2]);
  if (!caret) return null;
  const shownIndent = shown.length - shown.trimStart().length;
  const offset = Math.max(0, caret.start - shownIndent);
  // The shown line is dedented: without the file's own line, the column is unknown.
  if (original === null) return null;
  const indent = original.length - original.trimStart().length;
  return { column: indent + offset + 1, endColumn: indent + offset + (caret.end - caret.start) + 1 };
}

// ------------------------------------------------------------------------ Node.js

function nodeDiagnostics(lines: string[], paths: PathMapper): Diagnostic[] {
  const found: Diagnostic[] = [];
  let header: { path: string | null; line: number; column: number | null; endColumn: number | null } | null = null;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    const head = NODE_HEADER.exec(text);
    if (head?.groups) {
      // `/work/main.js:3`, the line as written, a caret under the column.
      const caret = caretSpan(lines[index + 2]);
      header = { path: paths.map(head.groups.file), line: Number(head.groups.line), column: caret ? caret.start + 1 : null, endColumn: caret ? caret.start + 2 : null };
      continue;
    }
    if (/^\S+:\d+$/.test(text)) {
      header = null; // thrown outside the project (`node:internal/fs/utils:356`)
      continue;
    }
    if (/^\s/.test(text) || !EXCEPTION_LINE.test(text.trim())) continue;
    const stack: Array<{ path: string; line: number; column: number }> = [];
    let next = index + 1;
    for (; next < lines.length; next++) {
      const frame = NODE_FRAME.exec(lines[next]);
      if (!frame?.groups) {
        if (/^\s+at /.test(lines[next])) continue;
        break;
      }
      const path = paths.map(frame.groups.file);
      if (path) stack.push({ path, line: Number(frame.groups.line), column: Number(frame.groups.column) });
    }
    const message = text.trim().replace(/^Uncaught /, '');
    if (header?.path) {
      found.push({ path: header.path, line: header.line, column: header.column, endColumn: header.endColumn, severity: 'error', message, source: 'node' });
    } else if (stack.length > 0) {
      const top = stack[0];
      found.push({ path: top.path, line: top.line, column: top.column, endColumn: top.column + 1, severity: 'error', message, source: 'node' });
    }
    header = null;
    index = next - 1;
  }
  return found;
}

// ------------------------------------------------------------------------ Java exceptions

function javaDiagnostics(lines: string[], paths: PathMapper): Diagnostic[] {
  const found: Diagnostic[] = [];
  lines.forEach((text, index) => {
    const exception = JAVA_EXCEPTION.exec(text);
    if (!exception?.groups || !/^\s+at /.test(lines[index + 1] ?? '')) return;
    for (let next = index + 1; next < lines.length && /^\s+at /.test(lines[next]); next++) {
      const frame = JAVA_FRAME.exec(lines[next]);
      const path = frame?.groups ? paths.mapByName(frame.groups.file) : null;
      if (frame?.groups && path) {
        found.push({ path, line: Number(frame.groups.line), column: null, endColumn: null, severity: 'error', message: exception.groups.message.trim(), source: 'java' });
        return;
      }
    }
  });
  return found;
}
