/**
 * A run's problems as Monaco markers: keeps the run's compiler output and stderr, parses them when
 * the run ends (../diagnostics), marks the named project files' models (owner `cloudrun-run`, also
 * files opened later) and shows the count in the status bar; the next run's start clears them.
 */
import type * as MonacoTypes from 'monaco-editor/esm/vs/editor/editor.api.js';
import { parseDiagnostics, MAX_PARSED_CHARS, type Diagnostic } from '../diagnostics';
import { h } from '../dom';
import type { Monaco } from '../editor';
import type { RunResult, Stream } from '../protocol';

/** The owner of the markers a run sets (Monaco keeps each owner's markers apart). */
export const MARKER_OWNER = 'cloudrun-run';

/** What the markers need from the workbench. */
export interface RunDiagnosticsHost {
  /** Monaco once loaded (null before: the markers are set when a model of the file appears). */
  monaco(): Monaco | null;
  projectId(): string | null;
  /** The open project's file paths. */
  files(): string[];
  /** Opens a file and puts the cursor at a line and column (the status bar's problem count is a link to the first). */
  reveal(path: string, line: number, column: number): void;
}

type MarkerData = MonacoTypes.editor.IMarkerData;
type Model = MonacoTypes.editor.ITextModel;

export class RunDiagnostics {
  readonly statusItem = h('button', { class: 'status-item status-problems', type: 'button', 'data-status': 'problems', hidden: true,
    title: 'Go to the first problem of the last run' });
  private transcript = '';
  private compiler = '';
  /** What the last finished run's problems were read from. */
  private parsed = '';
  private entry: string | null = null;
  private projectId: string | null = null;
  private found: Diagnostic[] = [];
  private watching: MonacoTypes.IDisposable | null = null;

  constructor(private readonly host: RunDiagnosticsHost) {
    this.statusItem.addEventListener('click', () => {
      const first = this.first();
      if (first) this.host.reveal(first.path, first.line, first.column ?? 1);
    });
  }

  /** The problems of the last run, in the order the tools reported them. */
  get problems(): readonly Diagnostic[] {
    return this.found;
  }

  /** The file the last run started from. */
  get runEntry(): string | null {
    return this.entry;
  }

  /** The first error of the last run (else its first problem), or null. */
  first(): Diagnostic | null {
    return this.found.find((item) => item.severity === 'error') ?? this.found[0] ?? null;
  }

  runStarted(entry: string | null): void {
    this.clear();
    this.entry = entry;
    this.projectId = this.host.projectId();
  }

  output(stream: Stream, data: string): void {
    if (stream === 'install') return;
    this.transcript = capped(this.transcript + data);
    if (stream === 'compiler') this.compiler = capped(this.compiler + data);
  }

  /** Parses what the run wrote (a passing run: only its compiler's warnings) and marks the files. */
  runFinished(result: RunResult): readonly Diagnostic[] {
    this.parsed = result.status === 'OK' ? this.compiler : this.transcript;
    const models = this.parse();
    for (const model of models.values()) this.mark(model);
    const monaco = this.host.monaco();
    if (monaco && this.found.length > 0 && !this.watching) {
      this.watching = monaco.editor.onDidCreateModel((model) => {
        // Parsed again with the new file's lines: a Python caret's column needs the line as written.
        this.parse();
        this.mark(model);
      });
    }
    this.showCount();
    return this.found;
  }

  /** Parses the kept output with the open models' lines at hand; returns the project's models by path. */
  private parse(): Map<string, Model> {
    const models = new Map<string, Model>();
    for (const model of this.host.monaco()?.editor.getModels() ?? []) {
      const path = this.pathOf(model);
      if (path && !model.isDisposed()) models.set(path, model);
    }
    this.found = parseDiagnostics(this.parsed, {
      files: this.host.files(),
      entry: this.entry,
      lineText: (path, line) => {
        const model = models.get(path);
        return model && line >= 1 && line <= model.getLineCount() ? model.getLineContent(line) : null;
      },
    });
    return models;
  }

  /** Removes the markers and the count (a run starts, another project opens). */
  clear(): void {
    this.found = [];
    this.transcript = '';
    this.compiler = '';
    this.parsed = '';
    this.watching?.dispose();
    this.watching = null;
    const monaco = this.host.monaco();
    for (const model of monaco?.editor.getModels() ?? []) monaco!.editor.setModelMarkers(model, MARKER_OWNER, []);
    this.showCount();
  }

  private pathOf(model: Model): string | null {
    const prefix = `/${this.projectId}/`;
    return model.uri.scheme === 'cloudrun' && this.projectId && model.uri.path.startsWith(prefix) ? model.uri.path.slice(prefix.length) : null;
  }

  private mark(model: Model): void {
    const monaco = this.host.monaco();
    const path = this.pathOf(model);
    if (!monaco || !path || model.isDisposed()) return;
    const markers = this.found.filter((item) => item.path === path).map((item) => markerOf(monaco, model, item));
    monaco.editor.setModelMarkers(model, MARKER_OWNER, markers);
  }

  private showCount(): void {
    const errors = this.found.filter((item) => item.severity === 'error').length;
    const warnings = this.found.filter((item) => item.severity === 'warning').length;
    this.statusItem.hidden = this.found.length === 0;
    this.statusItem.textContent = `⊗ ${errors} ⚠ ${warnings}`;
    this.statusItem.setAttribute('aria-label', `${problemsText(errors, warnings)} in the last run; go to the first`);
  }
}

/** "1 error, 2 warnings". */
export function problemsText(errors: number, warnings: number): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${count(errors, 'error')}, ${count(warnings, 'warning')}`;
}

/** A marker over the problem's columns, the word at its column, or the line's text when no column is known. */
export function markerOf(monaco: Pick<Monaco, 'MarkerSeverity'>, model: Pick<Model, 'getLineCount' | 'getLineMaxColumn' | 'getLineFirstNonWhitespaceColumn' | 'getWordAtPosition'>,
                         item: Diagnostic): MarkerData {
  const line = Math.min(Math.max(item.line, 1), model.getLineCount());
  const maxColumn = model.getLineMaxColumn(line);
  let startColumn: number;
  let endColumn: number;
  if (item.column !== null) {
    startColumn = Math.min(item.column, maxColumn);
    const word = model.getWordAtPosition({ lineNumber: line, column: startColumn });
    const end = item.endColumn !== null && item.endColumn > startColumn + 1 ? item.endColumn
      : word && word.startColumn === startColumn ? word.endColumn : startColumn + 1;
    endColumn = Math.min(end, maxColumn);
    if (endColumn <= startColumn) { startColumn = Math.max(1, maxColumn - 1); endColumn = maxColumn; } // past the line's end
  } else {
    startColumn = model.getLineFirstNonWhitespaceColumn(line) || 1;
    endColumn = maxColumn;
  }
  const severity = item.severity === 'error' ? monaco.MarkerSeverity.Error
    : item.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Info;
  return { severity, message: item.message, source: item.source, startLineNumber: line, startColumn, endLineNumber: line, endColumn };
}

function capped(text: string): string {
  return text.length > MAX_PARSED_CHARS * 2 ? text.slice(text.length - MAX_PARSED_CHARS) : text;
}
