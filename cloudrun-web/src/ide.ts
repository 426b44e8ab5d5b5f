/**
 * The workbench: builds the page's frame (title bar, activity bar, side bar, editor row, panel,
 * status bar) and wires the views of ./workbench into it. Each view does one job; they talk
 * through the small host interfaces set up here.
 */
import { AiPanel } from './ai';
import type { Api, User } from './api';
import { clear, h, icon } from './dom';
import { loadLayout, makeSplitter, saveLayout, watchNarrow } from './layout';
import { monacoLanguageOf } from './paths';
import { ShellTerminal } from './shellTerminal';
import { ANSI, RunTerminal } from './terminal';
import { showApiKeys } from './workbench/apiKeys';
import { BottomPanel } from './workbench/bottomPanel';
import { domDialogs, guard, reportError } from './workbench/dialogs';
import { EditorTabs } from './workbench/editorTabs';
import { EntryPicker } from './workbench/entryPicker';
import { ExplorerView } from './workbench/explorerView';
import { FixWithAi } from './workbench/fixWithAi';
import { FocusMoves } from './workbench/focusMoves';
import { HistoryView } from './workbench/historyView';
import { MonacoCodeEditor, monacoModels } from './workbench/monacoEditor';
import { PreviewView } from './workbench/previewView';
import { languageSwitch, ProjectsView } from './workbench/projectsView';
import { RunController, type RunOutput } from './workbench/runController';
import { RunDiagnostics } from './workbench/runDiagnostics';
import { loadSettings, showSettings, storeSettings } from './workbench/settings';
import { ChangedFilesRefresher } from './workbench/shellFiles';
import { ShellView } from './workbench/shellView';
import { installShortcuts, SHELL_KEEPS, showHelp } from './workbench/shortcuts';
import { Sidebar } from './workbench/sidebar';
import { StatusBar } from './workbench/statusBar';
import { userMenu } from './workbench/userMenu';
import { Workspace } from './workbench/workspace';

const LAST_PROJECT_KEY = 'cloudrun.lastProject';

export class Ide {
  private readonly settings = loadSettings();
  private readonly layout = loadLayout();
  private readonly dialogs = domDialogs;
  /** Removes the window and document listeners when this workbench goes away (logout). */
  private readonly listeners = new AbortController();
  private readonly workspace: Workspace;
  private readonly status = new StatusBar();
  private readonly tabs: EditorTabs;
  private readonly preview: PreviewView;
  private readonly projects: ProjectsView;
  private readonly explorer: ExplorerView;
  private readonly runner: RunController;
  private readonly problems: RunDiagnostics;
  private readonly fixWithAi: FixWithAi;
  private readonly panel: BottomPanel;
  private readonly history: HistoryView;
  private readonly sidebar: Sidebar;
  private readonly entryPicker: EntryPicker;
  private readonly focusMoves: FocusMoves;
  private readonly shells: ShellView;
  private readonly changedFiles: ChangedFilesRefresher;
  private ai!: AiPanel;
  private terminal!: RunTerminal;
  private editor: MonacoCodeEditor | null = null;

  private readonly sidebarSplitter = h('div', { class: 'splitter vertical', role: 'separator', 'aria-label': 'Resize side bar' });
  private readonly previewSplitter = h('div', { class: 'splitter vertical', role: 'separator', 'aria-label': 'Resize preview' });
  private readonly panelSplitter = h('div', { class: 'splitter horizontal', role: 'separator', 'aria-label': 'Resize panel' });
  private readonly languageSelect = h('select', { class: 'select', 'aria-label': 'Language', title: 'Language of the project' });
  private readonly projectTitle = h('span', { class: 'project-title' });

  constructor(private readonly root: HTMLElement, private readonly api: Api, private readonly user: User, private readonly onLogout: () => void) {
    const workspace = this.workspace = new Workspace(api, () => this.filesChanged());
    this.entryPicker = new EntryPicker({
      project: () => workspace.project,
      entries: () => workspace.entries,
      languages: () => workspace.languages,
      setEntry: async (path) => {
        const project = workspace.project;
        if (project) Object.assign(project, await api.updateProject(project.id, { entry: path }));
      },
      reportError: (problem) => reportError(this.dialogs, problem),
    });
    this.tabs = new EditorTabs(workspace, api, monacoModels, this.dialogs, {
      filesChanged: () => this.filesChanged(),
      activated: (path) => this.status.language(workspace.languageOfFile(path)?.displayName ?? monacoLanguageOf(path, workspace.languages)),
      download: (path) => void this.explorer.download(path),
      statusMessage: (text) => this.status.message(text),
    });
    this.preview = new PreviewView({
      project: () => workspace.project,
      entries: () => workspace.entries,
      activePath: () => this.tabs.activePath,
      openContent: (path) => this.tabs.contentOf(path),
      read: (projectId, path) => api.readFile(projectId, path),
    }, () => this.applyLayout());
    this.projects = new ProjectsView(api, this.dialogs, {
      languages: () => workspace.languages,
      currentProjectId: () => workspace.project?.id ?? null,
      open: (id) => this.openProject(id),
      created: () => this.sidebar.show('explorer'),
      renamed: (id, name) => {
        if (workspace.project?.id !== id) return;
        workspace.project.name = name;
        this.projectTitle.textContent = name;
      },
      deleted: (id) => {
        if (workspace.project?.id !== id) return;
        this.tabs.closeAll();
        workspace.close();
        this.shells.projectChanged();
        this.projectTitle.textContent = '';
        this.tabs.render();
      },
      changed: () => this.sidebar.render(),
    });
    this.explorer = new ExplorerView(workspace, api, this.dialogs, {
      activePath: () => this.tabs.activePath,
      isDirty: (path) => this.tabs.isPathDirty(path),
      openFile: (path) => { this.sidebar.fileChosen(); return this.tabs.open(path); },
      renamed: (from, to) => this.tabs.renamed(from, to),
      deleted: (path) => this.tabs.closeWithin(path),
      replaced: (path) => this.tabs.closeIfOpen(path),
      uploaded: () => { if (this.preview.visible) void this.preview.refresh(); },
      showProjects: () => this.sidebar.show('projects'),
      changed: () => this.filesChanged(),
    });
    // The terminal is made once the page is laid out; the run controller writes to whichever is there.
    const output: RunOutput = {
      note: (text) => this.terminal.note(text),
      output: (stream, data) => this.terminal.output(stream, data),
      startInput: (handler, raw) => this.terminal.startInput(handler, raw),
      stopInput: () => this.terminal.stopInput(),
      hint: (text) => this.terminal.hint(text),
      focus: () => this.terminal.focus(),
    };
    this.problems = new RunDiagnostics({
      monaco: () => this.editor?.monaco ?? null,
      projectId: () => workspace.project?.id ?? null,
      files: () => workspace.entries.filter((entry) => entry.kind === 'file').map((entry) => entry.path),
      reveal: (path, line, column) => void this.tabs.open(path).then(() => this.editor?.reveal(line, column)),
    });
    this.fixWithAi = new FixWithAi({
      aiAvailable: () => this.ai.available(),
      target: () => this.problems.first()?.path ?? this.problems.runEntry,
      open: (path) => this.tabs.open(path),
      showAssistant: () => this.panel.show('ai'),
      askFix: () => this.ai.ask('fix_error'),
    });
    this.runner = new RunController({
      host: {
        project: () => workspace.project,
        activePath: () => this.tabs.activePath,
        hasFile: (path) => workspace.hasEntry(path),
        languages: () => workspace.languages,
        isHtmlProject: () => workspace.isHtmlProject(),
        saveAll: () => this.tabs.saveAll(),
        showPreview: async () => {
          this.preview.setVisible(true);
          await this.preview.refresh();
        },
        stdin: () => this.panel.input,
        terminalMode: () => this.settings.terminalMode,
        showTerminal: () => this.panel.show('terminal'),
        focusEditor: () => this.focusEditorAfterRun(),
        token: () => api.token ?? '',
        sessionExpired: () => api.onSessionExpired(),
        reportError: (problem) => reportError(this.dialogs, problem),
        toast: (message, tone) => this.dialogs.toast(message, tone),
      },
      output,
      status: this.status,
      observer: {
        runStarted: (entry) => { this.ai.runStarted(); this.problems.runStarted(entry); this.fixWithAi.runStarted(); },
        output: (stream, data) => { this.ai.run.output(stream, data); this.problems.output(stream, data); },
        runFinished: (result) => {
          this.ai.runFinished(result);
          this.problems.runFinished(result);
          void this.fixWithAi.runFinished(result);
          void this.history.refresh();
        },
      },
    });
    this.history = new HistoryView(api, output, {
      running: () => this.runner.running,
      showTerminal: () => this.panel.show('terminal'),
      toast: (message, tone) => this.dialogs.toast(message, tone),
    });
    this.sidebar = new Sidebar({ explorer: this.explorer, projects: this.projects }, this.layout, {
      layoutChanged: (save) => {
        if (save) saveLayout(this.layout);
        this.applyLayout();
      },
      openSettings: () => this.openSettings(),
    });
    this.focusMoves = new FocusMoves({
      openEditor: () => (this.editor && this.tabs.active?.model ? this.editor : null),
      showExplorer: () => { this.sidebar.show('explorer'); this.sidebar.focusContent(); },
      terminalHost: () => this.panel.terminalHost,
      shellHost: () => this.panel.shellPane,
      focusTerminal: () => {
        if (this.panel.current === 'shell') { this.shells.shown(); this.shells.focus(); return; }
        this.panel.show('terminal');
        this.terminal.focus();
      },
    });
    this.panel = new BottomPanel([this.runner.installButton, this.fixWithAi.button], {
      clearTerminal: () => this.clearTerminal(),
      shown: (tab) => {
        if (tab === 'terminal') requestAnimationFrame(() => this.terminal?.resize());
        if (tab === 'shell') this.shells.shown();
        if (tab === 'ai') this.ai?.opened();
        if (tab === 'history') void this.history.refresh();
      },
    });
    this.panel.historyPane.append(this.history.element);
    this.changedFiles = new ChangedFilesRefresher({
      reloadTree: () => this.workspace.reloadTree(),
      reloadTabs: async (paths) => {
        const kept = await this.tabs.reloadChanged(paths);
        if (this.preview.visible) void this.preview.refresh();
        return kept;
      },
      keptEdits: (paths) => this.status.message(`Changed in the shell: ${paths.join(', ')} (your unsaved edits are kept)`),
    });
    this.shells = new ShellView({
      host: {
        projectId: () => workspace.project?.id ?? null,
        visible: () => this.panel.current === 'shell',
        token: () => api.token,
        theme: () => this.settings.theme,
        fontSize: () => this.settings.fontSize - 1,
        filesChanged: (paths, skipped) => {
          this.changedFiles.changed(paths);
          const left = Object.entries(skipped).map(([path, why]) => `${path} (${why})`);
          if (left.length > 0) this.status.message(`Not taken into the project from the shell: ${left.join(', ')}`);
        },
        sessionExpired: () => api.onSessionExpired(),
      },
      screen: (element, events) => new ShellTerminal(element, this.settings.theme, this.settings.fontSize - 1, events),
    });
    this.panel.shellPane.append(this.shells.element);
  }

  /** Clears the terminal the panel shows: the run output, or the active shell's screen. */
  private clearTerminal(): void {
    if (this.panel.current === 'shell') this.shells.clear();
    else this.terminal.clear();
  }

  async start(): Promise<void> {
    this.applyTheme();
    this.buildLayout();
    this.terminal = new RunTerminal(this.panel.terminalHost, this.settings.theme, this.settings.fontSize - 1);
    this.terminal.note(`${ANSI.dim}Run output appears here. While a program runs, type here to give it input.${ANSI.reset}`);
    this.terminal.onLeave = () => this.focusMoves.editor();
    installShortcuts(window, {
      run: () => void this.runner.run(),
      stop: () => this.runner.stop(),
      save: () => void this.tabs.saveActive(),
      clear: () => this.clearTerminal(),
      help: () => showHelp(),
      toggleTerminal: () => this.focusMoves.toggleTerminal(),
      focusExplorer: () => this.focusMoves.explorer(),
    }, this.listeners.signal, (command) => SHELL_KEEPS.includes(command) && this.shells.contains(document.activeElement));
    window.addEventListener('beforeunload', (event) => {
      if (this.tabs.anyDirty()) event.preventDefault();
    }, { signal: this.listeners.signal });
    const [languages, projects] = await Promise.all([this.api.languages(), this.projects.load()]);
    this.workspace.languages = languages;
    clear(this.languageSelect);
    for (const language of languages) {
      this.languageSelect.appendChild(h('option', { value: language.id, text: language.displayName }));
    }
    void this.loadEditor();
    const last = localStorage.getItem(LAST_PROJECT_KEY);
    const initial = projects.find((project) => project.id === last) ?? projects[0];
    if (initial) {
      await this.openProject(initial.id);
    } else {
      this.sidebar.show('projects');
      this.tabs.render();
    }
    // The workbench has its projects and its first view: what a person (or a browser test) clicks now stays put.
    document.body.dataset.ideReady = 'true';
  }

  // ---------------------------------------------------------------- layout

  private buildLayout(): void {
    this.languageSelect.addEventListener('change', () => void this.changeProjectLanguage());
    const previewToggle = h('button', { class: 'icon-button', type: 'button', title: 'Toggle HTML preview', 'aria-label': 'Toggle preview',
      onclick: () => this.preview.setVisible(!this.preview.visible) }, icon('preview'));
    const titlebar = h('header', { class: 'titlebar', 'aria-label': 'Title bar' },
      this.sidebar.menuButton,
      h('h1', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true', text: '▶' }), h('span', { text: 'CloudRun' })),
      this.projectTitle,
      h('div', { class: 'titlebar-center' }, this.languageSelect, this.entryPicker.element, this.runner.runButton, this.runner.stopButton, previewToggle),
      h('div', { class: 'titlebar-right' },
        h('button', { class: 'icon-button', type: 'button', title: 'Keyboard shortcuts (F1)', 'aria-label': 'Keyboard shortcuts',
          onclick: () => showHelp() }, icon('help')),
        userMenu(this.user, this.settings.theme, {
          settings: () => this.openSettings(),
          toggleTheme: () => {
            this.settings.theme = this.settings.theme === 'dark' ? 'light' : 'dark';
            this.saveSettings();
          },
          help: () => showHelp(),
          apiKeys: () => showApiKeys(this.api, this.user, this.dialogs),
          createAccount: () => this.onLogout(),
          logout: () => { this.runner.stopQuietly(); this.shells.disposeAll(); this.api.logout(); this.onLogout(); },
        }, this.listeners.signal)));

    this.ai = new AiPanel(this.panel.aiPane, {
      token: () => this.api.token,
      monaco: () => this.editor?.monaco ?? null,
      editor: () => this.editor?.editor ?? null,
      language: () => {
        const active = this.tabs.activePath;
        return (active ? this.workspace.languageOfFile(active)?.id : undefined) ?? this.workspace.project?.language ?? null;
      },
      theme: () => this.settings.theme,
      onSessionExpired: () => this.api.onSessionExpired(),
    });

    const editorRow = h('div', { class: 'editor-row' }, this.tabs.element, this.previewSplitter, this.preview.element);
    const main = h('main', { class: 'main' }, editorRow, this.panelSplitter, this.panel.element);
    this.root.replaceChildren(h('div', { class: 'ide' }, titlebar,
      h('div', { class: 'workbench' }, this.sidebar.activityBar, this.sidebar.element, this.sidebar.scrim, this.sidebarSplitter, main),
      this.status.element));
    this.status.element.querySelector('.status-left')?.append(this.problems.statusItem);

    makeSplitter(this.sidebarSplitter, 'x', 1, () => this.layout.sidebar, (size) => { this.layout.sidebar = size; this.applyLayout(); },
      () => saveLayout(this.layout), 160, () => window.innerWidth * 0.6);
    makeSplitter(this.panelSplitter, 'y', -1, () => this.layout.panel, (size) => { this.layout.panel = size; this.applyLayout(); },
      () => saveLayout(this.layout), 80, () => window.innerHeight * 0.8);
    makeSplitter(this.previewSplitter, 'x', -1, () => this.layout.preview, (size) => { this.layout.preview = size; this.applyLayout(); },
      () => saveLayout(this.layout), 200, () => window.innerWidth * 0.7);
    this.explorer.acceptDrops(this.sidebar.element);
    this.sidebar.show(this.sidebar.view);
    this.panel.show('terminal');
    watchNarrow(window, (narrow) => {
      this.sidebar.setNarrow(narrow);
      this.editor?.setNarrow(narrow);
    }, this.listeners.signal);
  }

  private applyLayout(): void {
    const style = this.root.style;
    style.setProperty('--sidebar-width', `${this.layout.sidebar}px`);
    style.setProperty('--panel-height', `${this.layout.panel}px`);
    style.setProperty('--preview-width', `${this.layout.preview}px`);
    this.sidebar.applyLayout();
    this.sidebarSplitter.hidden = this.layout.sidebarHidden;
    this.preview.element.hidden = !this.preview.visible;
    this.previewSplitter.hidden = !this.preview.visible;
    this.editor?.layout();
    this.terminal?.resize();
    this.shells?.resize();
  }

  // ---------------------------------------------------------------- settings

  private applyTheme(): void {
    document.documentElement.dataset.theme = this.settings.theme;
    this.terminal?.setTheme(this.settings.theme);
    this.shells?.applySettings(this.settings.theme, this.settings.fontSize - 1);
  }

  private saveSettings(): void {
    storeSettings(this.settings);
    this.applyTheme();
    this.editor?.applySettings(this.settings);
    this.terminal?.setFontSize(this.settings.fontSize - 1);
  }

  private openSettings(): void {
    showSettings(this.settings, this.user, () => this.saveSettings());
  }

  // ---------------------------------------------------------------- projects

  private async openProject(id: string): Promise<void> {
    if (this.tabs.anyDirty()
      && !await this.dialogs.confirm('Unsaved changes', 'Some files have unsaved changes. Switch projects and discard them?', 'Discard')) return;
    await guard(this.dialogs, async () => {
      const project = await this.api.project(id);
      this.tabs.closeAll();
      this.problems.clear();
      this.fixWithAi.reset();
      const projectChanged = this.workspace.project?.id !== project.id;
      this.workspace.open(project);
      this.explorer.reset();
      if (projectChanged) this.shells.projectChanged();
      // The last project's result is not this one's (a run still going keeps its own state).
      if (!this.runner.running) this.status.reset();
      void this.history.open(id, !this.runner.running);
      localStorage.setItem(LAST_PROJECT_KEY, id);
      this.projectTitle.textContent = project.name;
      if (project.language) this.languageSelect.value = project.language;
      this.preview.setVisible(this.workspace.isHtmlProject());
      this.sidebar.render();
      this.entryPicker.render();
      const entry = this.workspace.initialFile();
      if (entry) await this.tabs.open(entry);
      else this.tabs.render();
      if (this.workspace.isHtmlProject()) void this.preview.refresh();
    });
  }

  private async changeProjectLanguage(): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    const language = this.languageSelect.value;
    await guard(this.dialogs, async () => {
      const change = languageSwitch(this.workspace.entries, this.workspace.languages, language, project.entry);
      // A file the person did not ask for is not written behind their back: adding the starter is asked first.
      const name = this.workspace.languageInfo(language)?.displayName ?? language;
      if (change.starter && !await this.dialogs.confirm(`Switch to ${name}`,
        `This project has no ${name} file. Add ${change.starter.path} (a starter program) and make it the entry file?`,
        `Add ${change.starter.path}`)) {
        this.languageSelect.value = project.language ?? '';
        return;
      }
      if (change.starter) await this.api.writeFile(project.id, change.starter.path, change.starter.text);
      Object.assign(project, await this.api.updateProject(project.id, { language, entry: change.entry }));
      await this.workspace.reloadTree();
      this.entryPicker.render();
      if (change.entry) await this.tabs.open(change.entry);
      this.preview.setVisible(this.workspace.isHtmlProject());
      if (this.workspace.isHtmlProject()) void this.preview.refresh();
    });
  }

  // ---------------------------------------------------------------- editor

  /** The project's files changed: the explorer and the entry selector show them again. */
  private filesChanged(): void {
    this.sidebar.render();
    this.entryPicker.render();
  }

  /** After a run the editor gets the focus back, unless the person has put it somewhere else meanwhile. */
  private focusEditorAfterRun(): void {
    const active = document.activeElement;
    const runPlaces = [this.panel.terminalHost, this.runner.runButton, this.runner.stopButton];
    if (active && active !== document.body && !runPlaces.some((place) => place.contains(active))) return;
    this.editor?.focus();
  }

  private async loadEditor(): Promise<void> {
    this.status.editorLoading(true);
    try {
      this.editor = await this.createEditor();
    } catch (problem) {
      this.status.editorLoading(false);
      this.dialogs.toast(`The editor could not be loaded (${problem instanceof Error ? problem.message : String(problem)}). Reload the page to try again.`, 'error');
      return;
    }
    this.status.editorLoading(false);
    this.editor.setNarrow(this.sidebar.isDrawer);
    document.body.dataset.editorReady = 'true';
    this.tabs.attachEditor(this.editor);
  }

  private createEditor(): Promise<MonacoCodeEditor> {
    return MonacoCodeEditor.create(this.tabs.editorHost, this.settings, {
      cursorMoved: (line, column) => this.status.cursor(line, column),
      edited: () => {
        this.tabs.edited();
        if (this.preview.visible) this.preview.schedule();
      },
    });
  }

  dispose(): void {
    delete document.body.dataset.ideReady;
    this.listeners.abort();
    this.runner.dispose();
    this.shells.disposeAll();
    this.preview.dispose();
    this.ai?.dispose();
    this.tabs.dispose();
    this.editor?.dispose();
    this.terminal?.xterm.dispose();
  }
}
