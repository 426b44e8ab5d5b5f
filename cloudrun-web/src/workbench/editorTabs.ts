/**
 * The editor column: one tab per open file, which files have unsaved changes, saving them, and
 * what the editor area shows (the file, a binary file's placeholder, or the welcome screen).
 * The code editor (Monaco in the IDE) sits behind {@link CodeEditor} and {@link ModelFactory}.
 */
import type { Api } from '../api';
import { clear, h, icon } from '../dom';
import { basename, isWithin, monacoLanguageOf, moved } from '../paths';
import { asText, formatBytes } from '../text';
import { guard, type Dialogs } from './dialogs';
import { SHORTCUTS, shortcutRows } from './shortcuts';
import type { Workspace } from './workspace';

/** A file's text in the editor; its version id changes with every edit and comes back on undo. */
export interface TextModel {
  getValue(): string;
  /** Replaces the whole text (the file changed outside the editor). */
  setValue(text: string): void;
  getAlternativeVersionId(): number;
  dispose(): void;
}

/** The one code editor the tabs share. */
export interface CodeEditor {
  getModel(): TextModel | null;
  setModel(model: TextModel | null): void;
  saveViewState(): unknown;
  restoreViewState(state: unknown): void;
  focus(): void;
}

export interface ModelFactory {
  /** A model for `text` in the editor's `language` mode, named by `uriPath` (/project/path). */
  create(text: string, language: string, uriPath: string): Promise<TextModel>;
}

export interface EditorTabsHost {
  /** Open files, the active one or their unsaved marks changed (the explorer shows them). */
  filesChanged(): void;
  /** Another file became the active one. */
  activated(path: string): void;
  download(path: string): void;
  statusMessage(text: string): void;
}

export interface OpenFile {
  path: string;
  model: TextModel | null;
  /** Bytes of a file the editor cannot show (binary). */
  binary: Uint8Array | null;
  savedVersion: number;
  viewState: unknown;
}

export type EditorFilesApi = Pick<Api, 'readFile' | 'writeFile'>;

const encoder = new TextEncoder();

/** A file with unsaved changes that could not be saved: its path and why (the server's answer). */
export class SaveError extends Error {
  constructor(readonly path: string, readonly problem: unknown) {
    super(`${path} could not be saved: ${problem instanceof Error ? problem.message : String(problem)}`);
  }

  /** Why, without the path: the server's words. */
  get reason(): string {
    return this.problem instanceof Error ? this.problem.message : String(this.problem);
  }
}

export class EditorTabs {
  private files: OpenFile[] = [];
  private activeFile: OpenFile | null = null;
  private editor: CodeEditor | null = null;
  private readonly tabBar = h('div', { class: 'editor-tabs', role: 'tablist' });
  /** Where the code editor goes. */
  readonly editorHost = h('div', { class: 'editor-host' });
  private readonly message = h('div', { class: 'editor-message' });
  readonly element = h('section', { class: 'editor-column', 'aria-label': 'Editor' }, this.tabBar,
    h('div', { class: 'editor-stack' }, this.editorHost, this.message));

  constructor(private readonly workspace: Workspace, private readonly api: EditorFilesApi, private readonly models: ModelFactory,
              private readonly dialogs: Dialogs, private readonly host: EditorTabsHost) {}

  get openFiles(): readonly OpenFile[] {
    return this.files;
  }

  get active(): OpenFile | null {
    return this.activeFile;
  }

  get activePath(): string | null {
    return this.activeFile?.path ?? null;
  }

  /** The code editor has loaded. */
  attachEditor(editor: CodeEditor): void {
    this.editor = editor;
    this.render();
  }

  /** The text in the editor changed. */
  edited(): void {
    if (this.activeFile) this.renderTabs();
  }

  isDirty(file: OpenFile): boolean {
    return file.model !== null && file.model.getAlternativeVersionId() !== file.savedVersion;
  }

  isPathDirty(path: string): boolean {
    const file = this.find(path);
    return file !== undefined && this.isDirty(file);
  }

  anyDirty(): boolean {
    return this.files.some((file) => this.isDirty(file));
  }

  /** What the open file at `path` holds now, unsaved edits included; undefined when it is not open. */
  contentOf(path: string): Uint8Array | undefined {
    const open = this.find(path);
    return open?.model ? encoder.encode(open.model.getValue()) : open?.binary ?? undefined;
  }

  private find(path: string): OpenFile | undefined {
    return this.files.find((file) => file.path === path);
  }

  /** Opens the file (reading it from the server the first time) and makes it the active tab. */
  async open(path: string): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    // Until Monaco is there the file cannot show: the editor area says it is loading meanwhile.
    if (!this.editor) this.render();
    let file = this.find(path);
    if (!file) {
      const bytes = await this.api.readFile(project.id, path);
      const text = asText(bytes);
      file = { path, model: null, binary: text === null ? bytes : null, savedVersion: 0, viewState: null };
      if (text !== null) {
        file.model = await this.models.create(text, monacoLanguageOf(path, this.workspace.languages), `/${project.id}/${path}`);
        file.savedVersion = file.model.getAlternativeVersionId();
      }
      this.files.push(file);
    }
    this.activate(file);
  }

  activate(file: OpenFile): void {
    if (this.activeFile && this.editor && this.activeFile.model) this.activeFile.viewState = this.editor.saveViewState();
    this.activeFile = file;
    this.render();
    this.host.filesChanged();
    this.host.activated(file.path);
  }

  /** Files under `from` now live under `to`: their tabs follow (a new model, so the language mode follows the name). */
  async renamed(from: string, to: string): Promise<void> {
    for (const file of this.files) {
      const next = moved(file.path, from, to);
      if (next !== file.path) await this.retarget(file, next);
    }
    this.renderTabs();
  }

  private async retarget(file: OpenFile, path: string): Promise<void> {
    file.path = path;
    const project = this.workspace.project;
    if (!file.model || !project) return;
    const text = file.model.getValue();
    const dirty = this.isDirty(file);
    const old = file.model;
    file.model = await this.models.create(text, monacoLanguageOf(path, this.workspace.languages), `/${project.id}/${path}`);
    file.savedVersion = dirty ? -1 : file.model.getAlternativeVersionId();
    if (this.activeFile === file) this.editor?.setModel(file.model);
    old.dispose();
  }

  /** Closes the tabs of `path` and of everything inside it (it was deleted), without asking. */
  closeWithin(path: string): void {
    for (const file of [...this.files]) if (isWithin(file.path, path)) this.close(file, true);
  }

  /** Closes the tab of `path` if it is open (the file was replaced on the server), without asking. */
  closeIfOpen(path: string): void {
    const open = this.find(path);
    if (open) this.close(open, true);
  }

  /**
   * Files changed outside the editor (in a shell): the tabs of `paths` (null: every tab) that have no
   * unsaved changes show the files as they are now, and those whose file is gone close. Call after
   * the workspace's file list was reloaded. Tabs with unsaved changes keep them; their paths are returned.
   * The focus stays where it is (a person typing in a shell keeps typing there).
   */
  async reloadChanged(paths: readonly string[] | null): Promise<string[]> {
    const project = this.workspace.project;
    if (!project) return [];
    const focused = document.activeElement;
    const kept: string[] = [];
    let closed = false;
    for (const file of [...this.files]) {
      if (paths && !paths.some((path) => isWithin(file.path, path))) continue;
      if (this.isDirty(file)) { kept.push(file.path); continue; }
      let bytes: Uint8Array | null = null;
      if (this.workspace.hasEntry(file.path)) {
        try {
          bytes = await this.api.readFile(project.id, file.path);
        } catch {
          bytes = null;
        }
      }
      if (!this.files.includes(file) || this.workspace.project !== project) continue;
      if (this.isDirty(file)) { kept.push(file.path); continue; }
      const text = bytes === null ? null : asText(bytes);
      if (bytes !== null && file.model && text !== null) {
        if (file.model.getValue() !== text) {
          file.model.setValue(text);
          file.savedVersion = file.model.getAlternativeVersionId();
        }
      } else if (bytes !== null && file.binary && text === null) {
        file.binary = bytes;
      } else {
        // Gone, or no longer of the same kind (text became binary): the tab closes, the explorer still has it.
        this.close(file, true);
        closed = true;
      }
    }
    if (closed) this.host.filesChanged();
    this.renderTabs();
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
    return kept;
  }

  /** Closes a tab, asking first when it has unsaved changes. */
  async requestClose(file: OpenFile): Promise<void> {
    if (this.isDirty(file) && !await this.dialogs.confirm('Unsaved changes', `${basename(file.path)} has unsaved changes. Close it anyway?`, 'Close')) return;
    this.close(file, false);
  }

  /** Closes a tab; the neighbour on the right (else the left) becomes active. */
  close(file: OpenFile, silent: boolean): void {
    const index = this.files.indexOf(file);
    if (index < 0) return;
    this.files.splice(index, 1);
    if (this.activeFile === file) {
      this.activeFile = this.files[Math.min(index, this.files.length - 1)] ?? null;
      if (!this.activeFile) this.editor?.setModel(null);
    }
    file.model?.dispose();
    if (!silent) this.host.filesChanged();
    this.render();
  }

  closeAll(): void {
    this.editor?.setModel(null);
    for (const file of this.files) file.model?.dispose();
    this.files = [];
    this.activeFile = null;
  }

  private async save(file: OpenFile): Promise<void> {
    const project = this.workspace.project;
    if (!project || !file.model || !this.isDirty(file)) return;
    const version = file.model.getAlternativeVersionId();
    await this.api.writeFile(project.id, file.path, file.model.getValue());
    file.savedVersion = version;
    if (!this.workspace.hasEntry(file.path)) await this.workspace.reloadTree();
  }

  /** Saves the active file (Ctrl+S), reporting a failure. */
  async saveActive(): Promise<void> {
    const file = this.activeFile;
    if (!file) return;
    await guard(this.dialogs, async () => {
      await this.save(file);
      this.renderTabs();
      this.host.filesChanged();
      this.host.statusMessage(`Saved ${basename(file.path)}`);
    });
  }

  /** Saves every file with unsaved changes (before a run); throws a {@link SaveError} naming the first that fails. */
  async saveAll(): Promise<void> {
    try {
      for (const file of this.files) {
        try {
          await this.save(file);
        } catch (problem) {
          throw new SaveError(file.path, problem);
        }
      }
    } finally {
      this.renderTabs();
      this.host.filesChanged();
    }
  }

  renderTabs(): void {
    clear(this.tabBar);
    for (const file of this.files) {
      const dirty = this.isDirty(file);
      const name = basename(file.path);
      const active = file === this.activeFile;
      // The tab is the one control (a button inside a tab is not allowed): the close mark is for the
      // pointer, Delete closes the focused tab from the keyboard.
      const tab = h('div', { class: `editor-tab${active ? ' active' : ''}${dirty ? ' dirty' : ''}`, role: 'tab',
        'aria-selected': String(active), 'aria-label': dirty ? `${name}, unsaved changes` : name, tabindex: active ? 0 : -1,
        title: file.path, 'data-path': file.path },
      icon('file', 14),
      h('span', { class: 'tab-name', text: name }),
      h('span', { class: 'tab-close', 'aria-hidden': 'true', title: dirty ? `Unsaved changes; close ${name}` : `Close ${name}`,
        onclick: (event: Event) => { event.stopPropagation(); void this.requestClose(file); } },
      h('span', { class: 'dirty-mark', text: '●' }), icon('close', 12)));
      tab.addEventListener('click', () => this.activate(file));
      tab.addEventListener('auxclick', (event) => { if (event.button === 1) void this.requestClose(file); });
      tab.addEventListener('keydown', (event) => this.onTabKey(file, event));
      this.tabBar.appendChild(tab);
    }
  }

  /** Left and Right (Home, End) go to the next tab and show it; Delete closes it. */
  private onTabKey(file: OpenFile, event: KeyboardEvent): void {
    const index = this.files.indexOf(file);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: this.files.length - 1 }[event.key];
    if (event.key === 'Delete') {
      event.preventDefault();
      void this.requestClose(file);
      return;
    }
    if (next === undefined || this.files.length === 0) return;
    event.preventDefault();
    const target = this.files[(next + this.files.length) % this.files.length];
    this.activate(target);
    this.tabBar.querySelector<HTMLElement>('.editor-tab.active')?.focus();
  }

  /** The tabs and the editor area. */
  render(): void {
    this.renderTabs();
    const file = this.activeFile;
    this.message.hidden = true;
    clear(this.message);
    if (file?.model && this.editor) {
      this.editorHost.hidden = false;
      if (this.editor.getModel() !== file.model) {
        this.editor.setModel(file.model);
        if (file.viewState) this.editor.restoreViewState(file.viewState);
      }
      this.editor.focus();
      return;
    }
    this.editorHost.hidden = true;
    this.message.hidden = false;
    if (file?.binary) {
      this.message.append(icon('file', 40), h('p', { text: `${basename(file.path)} is a binary file (${formatBytes(file.binary.length)}).` }),
        h('button', { class: 'button secondary', type: 'button', text: 'Download', onclick: () => this.host.download(file.path) }));
    } else if (file || (!this.editor && this.workspace.project)) {
      // Monaco is still on its way (a slow link): say so instead of an empty area.
      this.message.append(h('div', { class: 'editor-loading', role: 'status', 'data-testid': 'editor-loading' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('p', { text: 'Loading editor…' })));
    } else {
      this.message.append(h('div', { class: 'welcome-mark', text: '▶' }),
        h('h1', { text: 'CloudRun' }),
        h('p', { text: this.workspace.project ? 'Open a file from the explorer.' : 'Create or open a project to start.' }),
        h('table', { class: 'shortcuts' }, h('tbody', {}, ...shortcutRows(SHORTCUTS.slice(0, 4)))));
    }
  }

  dispose(): void {
    this.closeAll();
  }
}
