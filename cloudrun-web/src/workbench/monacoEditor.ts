/** Monaco behind the editor tabs' small interfaces: models named cloudrun:/project/path and the one code editor. */
import type * as MonacoTypes from 'monaco-editor/esm/vs/editor/editor.api.js';
import type { Monaco } from '../editor';
import type { CodeEditor, ModelFactory, TextModel } from './editorTabs';
import type { Settings } from './settings';

/** Monaco, loaded on first use (the first model or the editor itself). */
async function loadMonaco(): Promise<Monaco> {
  return (await import('../editor')).monaco;
}

export const monacoModels: ModelFactory = {
  async create(text: string, language: string, uriPath: string): Promise<TextModel> {
    const monaco = await loadMonaco();
    return monaco.editor.createModel(text, language, monaco.Uri.from({ scheme: 'cloudrun', path: uriPath }));
  },
};

export interface MonacoEditorEvents {
  cursorMoved(line: number, column: number): void;
  edited(): void;
}

/** The code editor of the workbench, with Monaco's own objects for what needs them (the AI assistant's diff). */
export class MonacoCodeEditor implements CodeEditor {
  private constructor(readonly monaco: Monaco, readonly editor: MonacoTypes.editor.IStandaloneCodeEditor) {}

  static async create(host: HTMLElement, settings: Settings, events: MonacoEditorEvents): Promise<MonacoCodeEditor> {
    const monaco = await loadMonaco();
    const editor = monaco.editor.create(host, {
      automaticLayout: true,
      fontSize: settings.fontSize,
      minimap: { enabled: true },
      theme: settings.theme === 'dark' ? 'vs-dark' : 'vs',
      scrollBeyondLastLine: false,
      tabSize: 4,
      model: null,
    });
    editor.onDidChangeCursorPosition((event) => events.cursorMoved(event.position.lineNumber, event.position.column));
    editor.onDidChangeModelContent(() => events.edited());
    return new MonacoCodeEditor(monaco, editor);
  }

  getModel(): TextModel | null {
    return this.editor.getModel();
  }

  setModel(model: TextModel | null): void {
    this.editor.setModel(model as MonacoTypes.editor.ITextModel | null);
  }

  saveViewState(): unknown {
    return this.editor.saveViewState();
  }

  restoreViewState(state: unknown): void {
    this.editor.restoreViewState(state as MonacoTypes.editor.ICodeEditorViewState);
  }

  focus(): void {
    this.editor.focus();
  }

  /** Puts the cursor at a line and column, scrolled into view, and focuses the editor. */
  reveal(line: number, column: number): void {
    this.editor.setPosition({ lineNumber: line, column });
    this.editor.revealLineInCenterIfOutsideViewport(line);
    this.editor.focus();
  }

  applySettings(settings: Settings): void {
    this.monaco.editor.setTheme(settings.theme === 'dark' ? 'vs-dark' : 'vs');
    this.editor.updateOptions({ fontSize: settings.fontSize });
  }

  /** A narrow screen's editor leaves out the minimap and keeps the gutter small: the code gets the width. */
  setNarrow(narrow: boolean): void {
    this.editor.updateOptions({ minimap: { enabled: !narrow }, lineNumbersMinChars: narrow ? 3 : 5, folding: !narrow });
  }

  layout(): void {
    this.editor.layout();
  }

  dispose(): void {
    this.editor.dispose();
  }
}
