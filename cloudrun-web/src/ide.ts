/** The workbench: activity bar, explorer, editor tabs, preview, bottom panel, status bar. */
import { AiPanel } from './ai';
import { Api, ApiError, type Project, type ProjectWithFiles, type User } from './api';
import { append, askText, clear, confirmAction, h, icon, toast } from './dom';
import type { Monaco } from './editor';
import type * as MonacoTypes from 'monaco-editor/esm/vs/editor/editor.api.js';
import { loadLayout, makeSplitter, saveLayout } from './layout';
import { basename, buildTree, dirname, extension, isWithin, join, languageOfFile, monacoLanguageOf, moved, nameProblem, type Entry, type LanguageInfo, type TreeNode } from './paths';
import { buildPreview } from './preview';
import { statusTone, type RunResult, type ServerMessage } from './protocol';
import { RunSession } from './runner';
import { ANSI, RunTerminal } from './terminal';
import { asText, formatBytes, formatMillis } from './text';

type Theme = 'dark' | 'light';
interface Settings { theme: Theme; fontSize: number }
const SETTINGS_KEY = 'cloudrun.settings';
const LAST_PROJECT_KEY = 'cloudrun.lastProject';

function loadSettings(): Settings {
  try {
    return { theme: 'dark', fontSize: 14, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') };
  } catch {
    return { theme: 'dark', fontSize: 14 };
  }
}

interface OpenFile {
  path: string;
  model: MonacoTypes.editor.ITextModel | null;
  /** Bytes of a file the editor cannot show (binary). */
  binary: Uint8Array | null;
  savedVersion: number;
  viewState: MonacoTypes.editor.ICodeEditorViewState | null;
}

const SHORTCUTS: Array<[string, string]> = [
  ['Ctrl/Cmd + Enter', 'Run the program (or refresh the HTML preview)'],
  ['Ctrl/Cmd + Shift + S', 'Stop the running program'],
  ['Ctrl/Cmd + K', 'Clear the terminal'],
  ['Ctrl/Cmd + S', 'Save the file to the server'],
  ['Ctrl + C (in the terminal)', 'Stop the running program'],
  ['Ctrl + D (in the terminal)', 'Close the program\'s input (end of file)'],
  ['F1', 'Show this list'],
];

export class Ide {
  private settings = loadSettings();
  private layout = loadLayout();
  private languages: LanguageInfo[] = [];
  private projects: Project[] = [];
  private project: ProjectWithFiles | null = null;
  private entries: Entry[] = [];
  private expanded = new Set<string>();
  private selectedFolder = '';
  private openFiles: OpenFile[] = [];
  private active: OpenFile | null = null;
  private monaco: Monaco | null = null;
  private editor: MonacoTypes.editor.IStandaloneCodeEditor | null = null;
  private terminal!: RunTerminal;
  private session: RunSession | null = null;
  private runStartedAt = 0;
  private elapsedTimer = 0;
  private lastMissing: string[] = [];
  private sidebarView: 'explorer' | 'projects' = 'explorer';
  private ai!: AiPanel;
  private previewVisible = false;
  /** Removes the window and document listeners when this workbench goes away (logout). */
  private readonly listeners = new AbortController();

  // Elements
  private readonly root: HTMLElement;
  private readonly sidebar = h('aside', { class: 'sidebar', 'aria-label': 'Side bar' });
  private readonly sidebarSplitter = h('div', { class: 'splitter vertical', role: 'separator', 'aria-label': 'Resize side bar' });
  private readonly tabs = h('div', { class: 'editor-tabs', role: 'tablist' });
  private readonly editorHost = h('div', { class: 'editor-host' });
  private readonly editorMessage = h('div', { class: 'editor-message' });
  private readonly previewPane = h('section', { class: 'preview-pane', 'aria-label': 'Preview' });
  private readonly previewSplitter = h('div', { class: 'splitter vertical', role: 'separator', 'aria-label': 'Resize preview' });
  private readonly previewFrame = h('iframe', { class: 'preview-frame', title: 'HTML preview', sandbox: 'allow-scripts allow-modals allow-forms' });
  private readonly panel = h('section', { class: 'panel', 'aria-label': 'Panel' });
  private readonly panelSplitter = h('div', { class: 'splitter horizontal', role: 'separator', 'aria-label': 'Resize panel' });
  private readonly panelTabs = h('div', { class: 'panel-tabs', role: 'tablist' });
  private readonly panelActions = h('div', { class: 'panel-actions' });
  private readonly terminalHost = h('div', { class: 'terminal-host', 'data-testid': 'terminal' });
  private readonly inputBox = h('textarea', { class: 'stdin-input', spellcheck: 'false', placeholder: 'Input given to the program up front (one run reads it as its stdin).', 'aria-label': 'Program input' });
  private readonly aiPane = h('div', { class: 'ai-pane' });
  private readonly inputPane = h('div', { class: 'input-pane' });
  private readonly runButton = h('button', { class: 'button run', type: 'button', title: 'Run (Ctrl+Enter)', 'data-action': 'run' });
  private readonly stopButton = h('button', { class: 'button stop', type: 'button', title: 'Stop (Ctrl+Shift+S)', 'data-action': 'stop', disabled: true });
  private readonly installButton = h('button', { class: 'button install', type: 'button', hidden: true, 'data-action': 'install-rerun' });
  private readonly languageSelect = h('select', { class: 'select', 'aria-label': 'Language', title: 'Language of the project' });
  private readonly projectTitle = h('span', { class: 'project-title' });
  private readonly statusLanguage = h('span', { class: 'status-item', 'data-status': 'language' });
  private readonly statusRun = h('span', { class: 'status-item', 'data-status': 'run' });
  private readonly statusElapsed = h('span', { class: 'status-item', 'data-status': 'elapsed' });
  private readonly statusExit = h('span', { class: 'status-item', 'data-status': 'exit' });
  private readonly statusMemory = h('span', { class: 'status-item', 'data-status': 'memory' });
  private readonly statusCursor = h('span', { class: 'status-item', 'data-status': 'cursor' });
  private readonly activityButtons = new Map<string, HTMLButtonElement>();

  constructor(root: HTMLElement, private readonly api: Api, private user: User, private readonly onLogout: () => void) {
    this.root = root;
  }

  async start(): Promise<void> {
    this.applyTheme();
    this.buildLayout();
    this.terminal = new RunTerminal(this.terminalHost, this.settings.theme, this.settings.fontSize - 1);
    this.terminal.note(`${ANSI.dim}Run output appears here. While a program runs, type here to give it input.${ANSI.reset}`);
    this.installShortcuts();
    window.addEventListener('beforeunload', (event) => {
      if (this.openFiles.some((file) => this.isDirty(file))) event.preventDefault();
    }, { signal: this.listeners.signal });
    const [languages, projects] = await Promise.all([this.api.languages(), this.api.projects()]);
    this.languages = languages;
    this.projects = projects;
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
      this.showSidebar('projects');
      this.renderEditorArea();
    }
    // The workbench has its projects and its first view: what a person (or a browser test) clicks now stays put.
    document.body.dataset.ideReady = 'true';
  }

  // ---------------------------------------------------------------- layout

  private buildLayout(): void {
    const activity = h('nav', { class: 'activity-bar', 'aria-label': 'Activity bar' });
    const activityItem = (id: 'explorer' | 'projects', label: string, iconName: string) => {
      const button = h('button', { class: 'activity-item', type: 'button', title: label, 'aria-label': label, 'data-view': id,
        onclick: () => this.toggleSidebar(id) }, icon(iconName, 24));
      this.activityButtons.set(id, button);
      activity.appendChild(button);
    };
    activityItem('explorer', 'Explorer', 'files');
    activityItem('projects', 'Projects', 'projects');
    activity.appendChild(h('div', { class: 'spacer' }));
    activity.appendChild(h('button', { class: 'activity-item', type: 'button', title: 'Settings', 'aria-label': 'Settings',
      onclick: () => this.showSettings() }, icon('settings', 24)));

    this.runButton.append(icon('run', 14), h('span', { text: 'Run' }));
    this.runButton.addEventListener('click', () => void this.run());
    this.stopButton.append(icon('stop', 14), h('span', { text: 'Stop' }));
    this.stopButton.addEventListener('click', () => this.stop());
    this.installButton.addEventListener('click', () => void this.run(this.lastMissing));
    this.languageSelect.addEventListener('change', () => void this.changeProjectLanguage());

    const previewToggle = h('button', { class: 'icon-button', type: 'button', title: 'Toggle HTML preview', 'aria-label': 'Toggle preview',
      onclick: () => this.setPreviewVisible(!this.previewVisible) }, icon('preview'));
    const titlebar = h('header', { class: 'titlebar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', text: '▶' }), h('span', { text: 'CloudRun' })),
      this.projectTitle,
      h('div', { class: 'titlebar-center' }, this.languageSelect, this.runButton, this.stopButton, previewToggle),
      h('div', { class: 'titlebar-right' },
        h('button', { class: 'icon-button', type: 'button', title: 'Keyboard shortcuts (F1)', 'aria-label': 'Keyboard shortcuts',
          onclick: () => this.showHelp() }, icon('help')),
        this.userBadge()));

    // Bottom panel
    const panelTab = (id: 'terminal' | 'ai' | 'input', label: string) => h('button', {
      class: 'panel-tab', type: 'button', role: 'tab', 'data-tab': id, text: label, onclick: () => this.showPanelTab(id),
    });
    this.panelTabs.append(panelTab('terminal', 'Terminal'), panelTab('ai', 'AI Assistant'), panelTab('input', 'Input'));
    this.panelActions.append(
      this.installButton,
      h('button', { class: 'icon-button', type: 'button', title: 'Clear terminal (Ctrl+K)', 'aria-label': 'Clear terminal',
        onclick: () => this.terminal.clear() }, icon('clear')));
    this.ai = new AiPanel(this.aiPane, {
      token: () => this.api.token,
      monaco: () => this.monaco,
      editor: () => this.editor,
      language: () => (this.active ? languageOfFile(this.active.path, this.languages)?.id : undefined) ?? this.project?.language ?? null,
      theme: () => this.settings.theme,
      onSessionExpired: () => this.api.onSessionExpired(),
    });
    this.inputPane.append(
      h('p', { class: 'hint', text: 'Text here is given to the program as its standard input when you press Run. Leave it empty to type input in the terminal while the program runs.' }),
      this.inputBox);
    this.panel.append(h('div', { class: 'panel-header' }, this.panelTabs, this.panelActions),
      h('div', { class: 'panel-body' }, this.terminalHost, this.aiPane, this.inputPane));

    this.previewPane.append(
      h('div', { class: 'pane-header' }, h('span', { text: 'Preview' }),
        h('button', { class: 'icon-button', type: 'button', title: 'Refresh preview', 'aria-label': 'Refresh preview', onclick: () => void this.refreshPreview() }, icon('refresh')),
        h('button', { class: 'icon-button', type: 'button', title: 'Close preview', 'aria-label': 'Close preview', onclick: () => this.setPreviewVisible(false) }, icon('close'))),
      this.previewFrame);

    const editorColumn = h('section', { class: 'editor-column', 'aria-label': 'Editor' }, this.tabs, h('div', { class: 'editor-stack' }, this.editorHost, this.editorMessage));
    const editorRow = h('div', { class: 'editor-row' }, editorColumn, this.previewSplitter, this.previewPane);
    const main = h('main', { class: 'main' }, editorRow, this.panelSplitter, this.panel);
    const statusbar = h('footer', { class: 'statusbar' },
      h('div', { class: 'status-left' }, this.statusRun, this.statusElapsed, this.statusExit, this.statusMemory),
      h('div', { class: 'status-right' }, this.statusCursor, this.statusLanguage));
    this.root.replaceChildren(h('div', { class: 'ide' }, titlebar,
      h('div', { class: 'workbench' }, activity, this.sidebar, this.sidebarSplitter, main), statusbar));

    makeSplitter(this.sidebarSplitter, 'x', 1, () => this.layout.sidebar, (size) => { this.layout.sidebar = size; this.applyLayout(); },
      () => saveLayout(this.layout), 160, () => window.innerWidth * 0.6);
    makeSplitter(this.panelSplitter, 'y', -1, () => this.layout.panel, (size) => { this.layout.panel = size; this.applyLayout(); },
      () => saveLayout(this.layout), 80, () => window.innerHeight * 0.8);
    makeSplitter(this.previewSplitter, 'x', -1, () => this.layout.preview, (size) => { this.layout.preview = size; this.applyLayout(); },
      () => saveLayout(this.layout), 200, () => window.innerWidth * 0.7);
    this.sidebar.addEventListener('dragover', (event) => { event.preventDefault(); this.sidebar.classList.add('drop-target'); });
    this.sidebar.addEventListener('dragleave', () => this.sidebar.classList.remove('drop-target'));
    this.sidebar.addEventListener('drop', (event) => {
      event.preventDefault();
      this.sidebar.classList.remove('drop-target');
      if (event.dataTransfer?.files.length) void this.upload(Array.from(event.dataTransfer.files));
    });
    this.showSidebar(this.sidebarView);
    this.showPanelTab('terminal');
    this.setRunState('Ready', false);
    this.applyLayout();
  }

  private applyLayout(): void {
    const style = this.root.style;
    style.setProperty('--sidebar-width', `${this.layout.sidebar}px`);
    style.setProperty('--panel-height', `${this.layout.panel}px`);
    style.setProperty('--preview-width', `${this.layout.preview}px`);
    this.sidebar.hidden = this.layout.sidebarHidden;
    this.sidebarSplitter.hidden = this.layout.sidebarHidden;
    this.previewPane.hidden = !this.previewVisible;
    this.previewSplitter.hidden = !this.previewVisible;
    this.activityButtons.forEach((button, id) => button.classList.toggle('active', !this.layout.sidebarHidden && id === this.sidebarView));
    this.editor?.layout();
    this.terminal?.resize();
  }

  private toggleSidebar(view: 'explorer' | 'projects'): void {
    if (this.sidebarView === view && !this.layout.sidebarHidden) {
      this.layout.sidebarHidden = true;
      saveLayout(this.layout);
      this.applyLayout();
    } else {
      this.showSidebar(view);
    }
  }

  private showSidebar(view: 'explorer' | 'projects'): void {
    this.sidebarView = view;
    this.layout.sidebarHidden = false;
    this.renderSidebar();
    this.applyLayout();
  }

  private showPanelTab(tab: 'terminal' | 'ai' | 'input'): void {
    this.panelTabs.querySelectorAll<HTMLElement>('.panel-tab').forEach((button) => {
      const selected = button.dataset.tab === tab;
      button.classList.toggle('active', selected);
      button.setAttribute('aria-selected', String(selected));
    });
    this.terminalHost.hidden = tab !== 'terminal';
    this.aiPane.hidden = tab !== 'ai';
    this.inputPane.hidden = tab !== 'input';
    if (tab === 'terminal') requestAnimationFrame(() => this.terminal?.resize());
    if (tab === 'ai') this.ai?.opened();
  }

  private applyTheme(): void {
    document.documentElement.dataset.theme = this.settings.theme;
    this.monaco?.editor.setTheme(this.settings.theme === 'dark' ? 'vs-dark' : 'vs');
    this.terminal?.setTheme(this.settings.theme);
  }

  private saveSettings(): void {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.settings));
    this.applyTheme();
    this.editor?.updateOptions({ fontSize: this.settings.fontSize });
    this.terminal?.setFontSize(this.settings.fontSize - 1);
  }

  // ---------------------------------------------------------------- user, settings, help

  private userBadge(): HTMLElement {
    const name = this.user.guest ? 'Guest' : this.user.username;
    const menu = h('div', { class: 'menu', role: 'menu', hidden: true });
    const item = (label: string, action: () => void) => h('button', { class: 'menu-item', type: 'button', role: 'menuitem', text: label,
      onclick: () => { menu.hidden = true; action(); } });
    append(menu,
      h('div', { class: 'menu-header', text: this.user.guest ? 'Signed in as a guest' : `Signed in as ${this.user.username}` }),
      item('Settings', () => this.showSettings()),
      item(this.settings.theme === 'dark' ? 'Light theme' : 'Dark theme', () => {
        this.settings.theme = this.settings.theme === 'dark' ? 'light' : 'dark';
        this.saveSettings();
      }),
      item('Keyboard shortcuts', () => this.showHelp()),
      this.user.guest ? item('Create an account (keeps your projects)', () => this.onLogout()) : null,
      item('Log out', () => { this.session?.stop(); this.api.logout(); this.onLogout(); }));
    const badge = h('button', { class: 'user-badge', type: 'button', 'aria-haspopup': 'menu', title: name, 'data-testid': 'user-badge',
      onclick: (event: Event) => { event.stopPropagation(); menu.hidden = !menu.hidden; } },
      h('span', { class: 'avatar', text: name.slice(0, 1).toUpperCase() }), h('span', { class: 'user-name', text: name }));
    document.addEventListener('click', () => { menu.hidden = true; }, { signal: this.listeners.signal });
    return h('div', { class: 'user' }, badge, menu);
  }

  private showSettings(): void {
    const theme = h('select', { class: 'select', 'aria-label': 'Theme' },
      h('option', { value: 'dark', text: 'Dark' }), h('option', { value: 'light', text: 'Light' }));
    theme.value = this.settings.theme;
    const fontSize = h('input', { class: 'input', type: 'number', min: 10, max: 28, 'aria-label': 'Font size' });
    fontSize.value = String(this.settings.fontSize);
    const close = () => overlay.remove();
    const overlay = h('div', { class: 'modal-backdrop', onclick: (event: Event) => event.target === overlay && close() },
      h('div', { class: 'modal', role: 'dialog', 'aria-label': 'Settings' },
        h('h2', { text: 'Settings' }),
        h('label', { class: 'field' }, h('span', { text: 'Colour theme' }), theme),
        h('label', { class: 'field' }, h('span', { text: 'Editor font size' }), fontSize),
        h('p', { class: 'hint', text: `Signed in as ${this.user.guest ? 'a guest' : `${this.user.username}${this.user.email ? ` (${this.user.email})` : ''}`}.` }),
        h('div', { class: 'modal-actions' }, h('button', { class: 'button primary', type: 'button', text: 'Done', onclick: close }))));
    theme.addEventListener('change', () => { this.settings.theme = theme.value as Theme; this.saveSettings(); });
    fontSize.addEventListener('change', () => {
      this.settings.fontSize = Math.max(10, Math.min(28, Number(fontSize.value) || 14));
      this.saveSettings();
    });
    document.body.appendChild(overlay);
  }

  private showHelp(): void {
    if (document.querySelector('.help-overlay')) return;
    const close = () => overlay.remove();
    const rows = SHORTCUTS.map(([keys, what]) => h('tr', {}, h('td', {}, h('kbd', { text: keys })), h('td', { text: what })));
    const overlay = h('div', { class: 'modal-backdrop help-overlay', onclick: (event: Event) => event.target === overlay && close() },
      h('div', { class: 'modal wide', role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
        h('h2', { text: 'Keyboard shortcuts' }),
        h('table', { class: 'shortcuts' }, h('tbody', {}, ...rows)),
        h('div', { class: 'modal-actions' }, h('button', { class: 'button primary', type: 'button', text: 'Close', onclick: close }))));
    overlay.addEventListener('keydown', (event) => event.key === 'Escape' && close());
    document.body.appendChild(overlay);
    overlay.querySelector('button')?.focus();
  }

  private installShortcuts(): void {
    window.addEventListener('keydown', (event) => {
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      let handled = true;
      if (mod && key === 'enter') void this.run();
      else if (mod && event.shiftKey && key === 's') this.stop();
      else if (mod && !event.shiftKey && key === 's') void this.saveActive();
      else if (mod && !event.shiftKey && key === 'k') this.terminal.clear();
      else if (event.key === 'F1') this.showHelp();
      else handled = false;
      if (handled) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, { capture: true, signal: this.listeners.signal });
  }

  // ---------------------------------------------------------------- projects

  private renderSidebar(): void {
    clear(this.sidebar);
    if (this.sidebarView === 'projects') this.renderProjects();
    else this.renderExplorer();
  }

  private renderProjects(): void {
    const name = h('input', { class: 'input', name: 'project-name', placeholder: 'Project name', 'aria-label': 'Project name' });
    const language = h('select', { class: 'select', name: 'project-language', 'aria-label': 'Project language' });
    for (const option of this.languages) language.appendChild(h('option', { value: option.id, text: option.displayName }));
    const error = h('div', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'new-project' },
      h('div', { class: 'sidebar-subtitle', text: 'New project' }), name, language, error,
      h('button', { class: 'button primary wide', type: 'submit', text: 'Create project' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.createProject(name.value.trim(), language.value, error);
    });
    const list = h('ul', { class: 'project-list', role: 'list' });
    for (const project of this.projects) {
      const languageName = this.languages.find((option) => option.id === project.language)?.displayName ?? project.language ?? '';
      list.appendChild(h('li', { class: `project-item${project.id === this.project?.id ? ' active' : ''}` },
        h('button', { class: 'project-open', type: 'button', 'data-project': project.name, onclick: () => void this.openProject(project.id) },
          icon('projects'), h('span', { class: 'project-name', text: project.name }), h('span', { class: 'project-language', text: languageName })),
        h('button', { class: 'icon-button', type: 'button', title: 'Rename project', 'aria-label': `Rename project ${project.name}`,
          onclick: () => void this.renameProject(project) }, icon('rename')),
        h('button', { class: 'icon-button', type: 'button', title: 'Delete project', 'aria-label': `Delete project ${project.name}`,
          onclick: () => void this.deleteProject(project) }, icon('trash'))));
    }
    if (this.projects.length === 0) list.appendChild(h('li', { class: 'empty', text: 'No projects yet. Create one above.' }));
    this.sidebar.append(h('div', { class: 'sidebar-title', text: 'Projects' }), form, list);
    if (this.projects.length === 0) name.focus();
  }

  private async createProject(name: string, languageId: string, error: HTMLElement): Promise<void> {
    const language = this.languages.find((option) => option.id === languageId);
    if (!name) { error.textContent = 'Please give the project a name.'; return; }
    if (!language) { error.textContent = 'Please pick a language.'; return; }
    const files: Record<string, string> = { [language.sourceFile]: language.template };
    if (language.id === 'html') {
      files['style.css'] = 'body {\n  font-family: system-ui, sans-serif;\n  margin: 2rem;\n}\n\nh1 {\n  color: #0e7ad3;\n}\n';
      files['script.js'] = "const note = document.createElement('p');\nnote.textContent = 'JavaScript says hello at ' + new Date().toLocaleTimeString();\ndocument.body.appendChild(note);\n";
    }
    try {
      const project = await this.api.createProject(name, language.id, language.sourceFile, files);
      this.projects = await this.api.projects();
      await this.openProject(project.id);
      this.showSidebar('explorer');
    } catch (problem) {
      error.textContent = problem instanceof ApiError ? problem.message : String(problem);
    }
  }

  private async renameProject(project: Project): Promise<void> {
    const name = await askText('Rename project', 'New name', project.name);
    if (!name || name === project.name) return;
    await this.guard(async () => {
      await this.api.updateProject(project.id, { name });
      this.projects = await this.api.projects();
      if (this.project?.id === project.id) { this.project.name = name; this.projectTitle.textContent = name; }
      this.renderSidebar();
    });
  }

  private async deleteProject(project: Project): Promise<void> {
    if (!await confirmAction('Delete project', `Delete "${project.name}" and all its files? This cannot be undone.`, 'Delete')) return;
    await this.guard(async () => {
      await this.api.deleteProject(project.id);
      this.projects = await this.api.projects();
      if (this.project?.id === project.id) {
        this.closeAllFiles();
        this.project = null;
        this.entries = [];
        this.projectTitle.textContent = '';
        this.renderEditorArea();
      }
      this.renderSidebar();
    });
  }

  private async openProject(id: string): Promise<void> {
    if (this.openFiles.some((file) => this.isDirty(file))
      && !await confirmAction('Unsaved changes', 'Some files have unsaved changes. Switch projects and discard them?', 'Discard')) return;
    await this.guard(async () => {
      const project = await this.api.project(id);
      this.closeAllFiles();
      this.project = project;
      this.entries = project.files;
      this.expanded = new Set();
      this.selectedFolder = '';
      localStorage.setItem(LAST_PROJECT_KEY, id);
      this.projectTitle.textContent = project.name;
      if (project.language) this.languageSelect.value = project.language;
      this.setPreviewVisible(this.isHtmlProject());
      this.renderSidebar();
      const entry = project.entry && this.entries.some((file) => file.path === project.entry) ? project.entry
        : this.entries.find((file) => file.kind === 'file')?.path;
      if (entry) await this.openFile(entry);
      else this.renderEditorArea();
      if (this.isHtmlProject()) void this.refreshPreview();
    });
  }

  private async changeProjectLanguage(): Promise<void> {
    if (!this.project) return;
    const language = this.languageSelect.value;
    await this.guard(async () => {
      const info = this.languages.find((option) => option.id === language);
      let entry = this.project!.entry ?? undefined;
      // A language switch keeps the files; it adds the new language's starter file when the project lacks one.
      if (info && !this.entries.some((file) => languageOfFile(file.path, this.languages)?.id === info.id)) {
        await this.api.writeFile(this.project!.id, info.sourceFile, info.template);
        entry = info.sourceFile;
      } else if (info) {
        entry = this.entries.find((file) => languageOfFile(file.path, this.languages)?.id === info.id)?.path ?? entry;
      }
      const updated = await this.api.updateProject(this.project!.id, { language, entry });
      Object.assign(this.project!, updated);
      await this.reloadTree();
      if (entry) await this.openFile(entry);
      this.setPreviewVisible(this.isHtmlProject());
      if (this.isHtmlProject()) void this.refreshPreview();
    });
  }

  private isHtmlProject(): boolean {
    const language = this.languages.find((option) => option.id === this.project?.language);
    return language?.previewOnly === true;
  }

  // ---------------------------------------------------------------- explorer

  private renderExplorer(): void {
    const header = h('div', { class: 'sidebar-title' }, h('span', { text: 'Explorer' }));
    if (!this.project) {
      this.sidebar.append(header, h('div', { class: 'empty', text: 'No project is open.' }),
        h('button', { class: 'button secondary wide', type: 'button', text: 'Open or create a project', onclick: () => this.showSidebar('projects') }));
      return;
    }
    const fileInput = h('input', { type: 'file', multiple: true, hidden: true, 'data-testid': 'upload-input' });
    fileInput.addEventListener('change', () => {
      if (fileInput.files?.length) void this.upload(Array.from(fileInput.files));
      fileInput.value = '';
    });
    const action = (name: string, label: string, run: () => void) => h('button', { class: 'icon-button', type: 'button', title: label, 'aria-label': label, onclick: run }, icon(name));
    const section = h('div', { class: 'explorer-section' },
      h('div', { class: 'explorer-header' },
        h('span', { class: 'explorer-project', text: this.project.name }),
        h('div', { class: 'explorer-actions' },
          action('newFile', 'New file', () => void this.newEntry('file')),
          action('newFolder', 'New folder', () => void this.newEntry('folder')),
          action('upload', 'Upload files', () => fileInput.click()),
          action('refresh', 'Refresh', () => void this.guard(() => this.reloadTree())))),
      fileInput);
    const tree = h('ul', { class: 'tree', role: 'tree', 'aria-label': 'Files' });
    this.renderTreeNodes(tree, buildTree(this.entries).children, 0);
    tree.addEventListener('click', (event) => {
      if (event.target === tree) { this.selectedFolder = ''; this.renderSidebar(); }
    });
    this.sidebar.append(header, section, tree,
      h('div', { class: 'drop-hint', text: 'Drop files here to upload them' }));
  }

  private renderTreeNodes(list: HTMLElement, nodes: TreeNode[], depth: number): void {
    for (const node of nodes) {
      const isFolder = node.kind === 'folder';
      const open = this.expanded.has(node.path);
      const file = this.openFiles.find((candidate) => candidate.path === node.path);
      const row = h('div', {
        class: `tree-row${this.active?.path === node.path ? ' active' : ''}${isFolder && this.selectedFolder === node.path ? ' selected' : ''}`,
        style: `padding-left:${8 + depth * 12}px`, role: 'treeitem', 'data-path': node.path, 'data-kind': node.kind,
        'aria-expanded': isFolder ? String(open) : undefined, title: node.path,
      },
      isFolder ? h('span', { class: `twisty${open ? ' open' : ''}` }, icon('chevron', 12)) : h('span', { class: 'twisty' }),
      icon(isFolder ? 'folder' : 'file', 14),
      h('span', { class: 'tree-name', text: node.name }),
      file && this.isDirty(file) ? h('span', { class: 'dirty-dot', text: '●' }) : null,
      h('span', { class: 'row-actions' },
        isFolder ? null : h('button', { class: 'icon-button', type: 'button', title: 'Download', 'aria-label': `Download ${node.name}`,
          onclick: (event: Event) => { event.stopPropagation(); void this.download(node.path); } }, icon('download', 14)),
        h('button', { class: 'icon-button', type: 'button', title: 'Rename', 'aria-label': `Rename ${node.name}`,
          onclick: (event: Event) => { event.stopPropagation(); void this.renameEntry(node.path); } }, icon('rename', 14)),
        h('button', { class: 'icon-button', type: 'button', title: 'Delete', 'aria-label': `Delete ${node.name}`,
          onclick: (event: Event) => { event.stopPropagation(); void this.deleteEntry(node.path, node.kind); } }, icon('trash', 14))));
      row.addEventListener('click', () => {
        if (isFolder) {
          if (open) this.expanded.delete(node.path);
          else this.expanded.add(node.path);
          this.selectedFolder = node.path;
          this.renderSidebar();
        } else {
          this.selectedFolder = dirname(node.path);
          void this.openFile(node.path);
        }
      });
      const item = h('li', { role: 'none' }, row);
      list.appendChild(item);
      if (isFolder && open) {
        const children = h('ul', { role: 'group' });
        this.renderTreeNodes(children, node.children, depth + 1);
        item.appendChild(children);
      }
    }
  }

  private async reloadTree(): Promise<void> {
    if (!this.project) return;
    const project = await this.api.project(this.project.id);
    this.project = project;
    this.entries = project.files;
    this.renderSidebar();
  }

  private async newEntry(kind: 'file' | 'folder'): Promise<void> {
    if (!this.project) return;
    const where = this.selectedFolder ? ` in ${this.selectedFolder}` : '';
    const name = await askText(kind === 'file' ? `New file${where}` : `New folder${where}`, 'Name', '', nameProblem);
    if (!name) return;
    const path = join(this.selectedFolder, name);
    if (this.entries.some((entry) => entry.path === path)) { toast(`${path} already exists.`, 'error'); return; }
    await this.guard(async () => {
      if (kind === 'file') await this.api.writeFile(this.project!.id, path, '');
      else await this.api.createFolder(this.project!.id, path);
      if (this.selectedFolder) this.expanded.add(this.selectedFolder);
      await this.reloadTree();
      if (kind === 'file') await this.openFile(path);
    });
  }

  private async renameEntry(path: string): Promise<void> {
    if (!this.project) return;
    const name = await askText(`Rename ${basename(path)}`, 'New name', basename(path), nameProblem);
    if (!name || name === basename(path)) return;
    const target = join(dirname(path), name);
    await this.guard(async () => {
      await this.api.move(this.project!.id, path, target);
      this.selectedFolder = moved(this.selectedFolder, path, target);
      this.expanded = new Set([...this.expanded].map((folder) => moved(folder, path, target)));
      for (const file of this.openFiles) {
        const next = moved(file.path, path, target);
        if (next !== file.path) this.retarget(file, next);
      }
      if (this.project!.entry && isWithin(this.project!.entry, path)) {
        this.project!.entry = moved(this.project!.entry, path, target);
        await this.api.updateProject(this.project!.id, { entry: this.project!.entry });
      }
      await this.reloadTree();
      this.renderTabs();
    });
  }

  private async deleteEntry(path: string, kind: 'file' | 'folder'): Promise<void> {
    if (!this.project) return;
    const what = kind === 'folder' ? `the folder "${path}" and everything in it` : `"${path}"`;
    if (!await confirmAction(`Delete ${basename(path)}`, `Delete ${what}?`, 'Delete')) return;
    await this.guard(async () => {
      await this.api.deleteEntry(this.project!.id, path);
      for (const file of [...this.openFiles]) if (isWithin(file.path, path)) this.closeFile(file, true);
      if (isWithin(this.selectedFolder, path)) this.selectedFolder = dirname(path);
      await this.reloadTree();
    });
  }

  private async upload(files: File[]): Promise<void> {
    if (!this.project) return;
    const folder = this.selectedFolder;
    await this.guard(async () => {
      for (const file of files) {
        const problem = nameProblem(file.name);
        if (problem) { toast(`${file.name}: ${problem}`, 'error'); continue; }
        const path = join(folder, file.name);
        await this.api.writeFile(this.project!.id, path, new Uint8Array(await file.arrayBuffer()));
        const open = this.openFiles.find((candidate) => candidate.path === path);
        if (open) this.closeFile(open, true);
      }
      if (folder) this.expanded.add(folder);
      await this.reloadTree();
      toast(files.length === 1 ? `Uploaded ${files[0].name}` : `Uploaded ${files.length} files`);
      if (this.previewVisible) void this.refreshPreview();
    });
  }

  private async download(path: string): Promise<void> {
    if (!this.project) return;
    await this.guard(async () => {
      const bytes = await this.api.readFile(this.project!.id, path);
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
      const link = h('a', { href: url, download: basename(path) });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }

  // ---------------------------------------------------------------- editor and tabs

  private async loadEditor(): Promise<void> {
    const { monaco } = await import('./editor');
    this.monaco = monaco;
    this.editor = monaco.editor.create(this.editorHost, {
      automaticLayout: true,
      fontSize: this.settings.fontSize,
      minimap: { enabled: true },
      theme: this.settings.theme === 'dark' ? 'vs-dark' : 'vs',
      scrollBeyondLastLine: false,
      tabSize: 4,
      model: null,
    });
    this.editor.onDidChangeCursorPosition((event) => {
      this.statusCursor.textContent = `Ln ${event.position.lineNumber}, Col ${event.position.column}`;
    });
    this.editor.onDidChangeModelContent(() => {
      if (this.active) this.renderTabs();
      if (this.previewVisible) this.schedulePreview();
    });
    document.body.dataset.editorReady = 'true';
    this.renderEditorArea();
  }

  private async openFile(path: string): Promise<void> {
    if (!this.project) return;
    let file = this.openFiles.find((candidate) => candidate.path === path);
    if (!file) {
      const bytes = await this.api.readFile(this.project.id, path);
      const text = asText(bytes);
      file = { path, model: null, binary: text === null ? bytes : null, savedVersion: 0, viewState: null };
      if (text !== null) {
        const monaco = this.monaco ?? (await import('./editor')).monaco;
        file.model = monaco.editor.createModel(text, monacoLanguageOf(path, this.languages),
          monaco.Uri.from({ scheme: 'cloudrun', path: `/${this.project.id}/${path}` }));
        file.savedVersion = file.model.getAlternativeVersionId();
      }
      this.openFiles.push(file);
    }
    this.activate(file);
  }

  private activate(file: OpenFile): void {
    if (this.active && this.editor && this.active.model) this.active.viewState = this.editor.saveViewState();
    this.active = file;
    this.renderEditorArea();
    this.renderSidebar();
    const language = languageOfFile(file.path, this.languages);
    this.statusLanguage.textContent = language?.displayName ?? monacoLanguageOf(file.path, this.languages);
  }

  private retarget(file: OpenFile, path: string): void {
    file.path = path;
    if (file.model && this.monaco && this.project) {
      const text = file.model.getValue();
      const dirty = this.isDirty(file);
      const old = file.model;
      file.model = this.monaco.editor.createModel(text, monacoLanguageOf(path, this.languages),
        this.monaco.Uri.from({ scheme: 'cloudrun', path: `/${this.project.id}/${path}` }));
      file.savedVersion = dirty ? -1 : file.model.getAlternativeVersionId();
      if (this.active === file) this.editor?.setModel(file.model);
      old.dispose();
    }
  }

  private isDirty(file: OpenFile): boolean {
    return file.model !== null && file.model.getAlternativeVersionId() !== file.savedVersion;
  }

  private renderTabs(): void {
    clear(this.tabs);
    for (const file of this.openFiles) {
      const dirty = this.isDirty(file);
      const tab = h('div', { class: `editor-tab${file === this.active ? ' active' : ''}${dirty ? ' dirty' : ''}`, role: 'tab',
        'aria-selected': String(file === this.active), title: file.path, 'data-path': file.path },
      icon('file', 14),
      h('span', { class: 'tab-name', text: basename(file.path) }),
      h('button', { class: 'tab-close', type: 'button', 'aria-label': dirty ? `Unsaved changes; close ${basename(file.path)}` : `Close ${basename(file.path)}`,
        onclick: (event: Event) => { event.stopPropagation(); void this.requestClose(file); } },
      h('span', { class: 'dirty-mark', text: '●' }), icon('close', 12)));
      tab.addEventListener('click', () => this.activate(file));
      tab.addEventListener('auxclick', (event) => { if (event.button === 1) void this.requestClose(file); });
      this.tabs.appendChild(tab);
    }
  }

  private renderEditorArea(): void {
    this.renderTabs();
    const file = this.active;
    this.editorMessage.hidden = true;
    clear(this.editorMessage);
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
    this.editorMessage.hidden = false;
    if (file?.binary) {
      this.editorMessage.append(icon('file', 40), h('p', { text: `${basename(file.path)} is a binary file (${formatBytes(file.binary.length)}).` }),
        h('button', { class: 'button secondary', type: 'button', text: 'Download', onclick: () => void this.download(file.path) }));
    } else if (file) {
      this.editorMessage.append(h('p', { text: 'Loading the editor…' }));
    } else {
      this.editorMessage.append(h('div', { class: 'welcome-mark', text: '▶' }),
        h('h1', { text: 'CloudRun' }),
        h('p', { text: this.project ? 'Open a file from the explorer.' : 'Create or open a project to start.' }),
        h('table', { class: 'shortcuts' }, h('tbody', {}, ...SHORTCUTS.slice(0, 4).map(([keys, what]) =>
          h('tr', {}, h('td', {}, h('kbd', { text: keys })), h('td', { text: what }))))));
    }
  }

  private async requestClose(file: OpenFile): Promise<void> {
    if (this.isDirty(file) && !await confirmAction('Unsaved changes', `${basename(file.path)} has unsaved changes. Close it anyway?`, 'Close')) return;
    this.closeFile(file, false);
  }

  private closeFile(file: OpenFile, silent: boolean): void {
    const index = this.openFiles.indexOf(file);
    if (index < 0) return;
    this.openFiles.splice(index, 1);
    if (this.active === file) {
      this.active = this.openFiles[Math.min(index, this.openFiles.length - 1)] ?? null;
      if (!this.active) this.editor?.setModel(null);
    }
    file.model?.dispose();
    if (!silent) this.renderSidebar();
    this.renderEditorArea();
  }

  private closeAllFiles(): void {
    this.editor?.setModel(null);
    for (const file of this.openFiles) file.model?.dispose();
    this.openFiles = [];
    this.active = null;
  }

  private async save(file: OpenFile): Promise<void> {
    if (!this.project || !file.model || !this.isDirty(file)) return;
    const version = file.model.getAlternativeVersionId();
    await this.api.writeFile(this.project.id, file.path, file.model.getValue());
    file.savedVersion = version;
    const entry = this.entries.find((candidate) => candidate.path === file.path);
    if (!entry) await this.reloadTree();
  }

  private async saveActive(): Promise<void> {
    const file = this.active;
    if (!file) return;
    await this.guard(async () => {
      await this.save(file);
      this.renderTabs();
      this.renderSidebar();
      this.setStatusMessage(`Saved ${basename(file.path)}`);
    });
  }

  private async saveAll(): Promise<void> {
    for (const file of this.openFiles) await this.save(file);
    this.renderTabs();
    this.renderSidebar();
  }

  // ---------------------------------------------------------------- preview

  private previewTimer = 0;

  private schedulePreview(): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = window.setTimeout(() => void this.refreshPreview(), 400);
  }

  private setPreviewVisible(visible: boolean): void {
    this.previewVisible = visible;
    this.applyLayout();
    if (visible) void this.refreshPreview();
  }

  /** The HTML page the preview shows: the open HTML file, else the project's entry, else index.html. */
  private previewPage(): string | null {
    const isHtml = (path: string | null | undefined) => !!path && ['.html', '.htm'].includes(extension(path));
    if (this.active && isHtml(this.active.path)) return this.active.path;
    if (isHtml(this.project?.entry)) return this.project!.entry;
    return this.entries.find((entry) => isHtml(entry.path))?.path ?? null;
  }

  private async refreshPreview(): Promise<void> {
    if (!this.project || !this.previewVisible) return;
    const page = this.previewPage();
    if (!page) {
      this.previewFrame.srcdoc = '<p style="font-family:sans-serif;color:#888">This project has no HTML page to preview.</p>';
      return;
    }
    const contents = new Map<string, Uint8Array>();
    const encoder = new TextEncoder();
    await Promise.all(this.entries.filter((entry) => entry.kind === 'file').map(async (entry) => {
      const open = this.openFiles.find((file) => file.path === entry.path);
      // Unsaved edits show in the preview at once; the other files come from the server.
      contents.set(entry.path, open?.model ? encoder.encode(open.model.getValue()) : open?.binary ?? await this.api.readFile(this.project!.id, entry.path));
    }));
    const html = new TextDecoder().decode(contents.get(page) ?? new Uint8Array());
    this.previewFrame.srcdoc = buildPreview(page, html, (path) => contents.get(path));
  }

  // ---------------------------------------------------------------- running

  private async run(installPackages: string[] = []): Promise<void> {
    if (!this.project) { toast('Open a project first.', 'error'); return; }
    if (this.session && !this.session.isFinished) { toast('A program is already running. Stop it first.', 'error'); return; }
    try {
      await this.saveAll();
    } catch (problem) {
      this.reportError(problem);
      return;
    }
    if (this.isHtmlProject() || (this.active && ['.html', '.htm'].includes(extension(this.active.path)))) {
      this.setPreviewVisible(true);
      await this.refreshPreview();
      this.setStatusMessage('Preview refreshed');
      return;
    }
    const activeLanguage = this.active ? languageOfFile(this.active.path, this.languages) : undefined;
    const entry = activeLanguage && !activeLanguage.previewOnly ? this.active!.path : this.project.entry;
    if (!entry) { toast('Open the file you want to run.', 'error'); return; }
    const language = languageOfFile(entry, this.languages)?.id ?? this.project.language ?? undefined;
    const stdin = this.inputBox.value;
    this.installButton.hidden = true;
    this.lastMissing = [];
    this.showPanelTab('terminal');
    this.terminal.note(`${ANSI.cyan}▶ ${entry}${installPackages.length ? ` (installing ${installPackages.join(', ')})` : ''}${stdin ? ' with input from the Input tab' : ''}${ANSI.reset}`);
    this.runStartedAt = performance.now();
    this.setRunState('Starting…', true);
    this.statusExit.textContent = '';
    this.statusMemory.textContent = '';
    clearInterval(this.elapsedTimer);
    this.elapsedTimer = window.setInterval(() => {
      this.statusElapsed.textContent = formatMillis(performance.now() - this.runStartedAt);
    }, 100);
    const token = this.api.token ?? '';
    this.ai.runStarted();
    const session = new RunSession({ token, projectId: this.project.id, entry, language, stdin: stdin || undefined, installPackages },
      (message) => this.onRunMessage(message),
      (problem) => this.onRunClosed(session, problem));
    this.session = session;
    if (!stdin) {
      this.terminal.startInput((action) => {
        if (action.type === 'send') session.stdin(action.text);
        else if (action.type === 'eof') session.closeStdin();
        else if (action.type === 'interrupt') this.stop();
      });
    }
    this.terminal.focus();
  }

  private onRunMessage(message: ServerMessage): void {
    switch (message.kind) {
      case 'accepted':
        this.setRunState('Queued', true);
        break;
      case 'phase':
        this.setRunState(message.phase.charAt(0) + message.phase.slice(1).toLowerCase(), message.phase !== 'FINISHED');
        break;
      case 'output':
        this.terminal.output(message.stream, message.data);
        this.ai.run.output(message.stream, message.data);
        break;
      case 'missingDependency':
        this.offerInstall(message.packages);
        break;
      case 'installStarted':
        this.terminal.note(`${ANSI.cyan}⬇ Installing ${message.packages.join(', ')}…${ANSI.reset}`);
        break;
      case 'installFinished':
        this.terminal.note(message.success
          ? `${ANSI.green}✔ ${message.message}${ANSI.reset}`
          : `${ANSI.red}✖ ${message.message}${ANSI.reset}`);
        break;
      case 'error':
        this.terminal.note(`${ANSI.red}✖ ${message.message}${ANSI.reset}`);
        if (message.code === 'unauthorized') this.api.onSessionExpired();
        if (this.session && !this.session.wasAccepted) {
          clearInterval(this.elapsedTimer);
          this.terminal.stopInput();
          this.setRunState('Not started', false, 'error');
        }
        break;
      case 'authenticated':
        break;
      case 'finished':
        this.finishRun(message.result);
        break;
    }
  }

  private offerInstall(packages: string[]): void {
    const fresh = packages.filter((name) => name && !this.lastMissing.includes(name));
    if (fresh.length === 0) return;
    this.lastMissing = [...this.lastMissing, ...fresh];
    this.installButton.textContent = `Install ${this.lastMissing.join(', ')} & Re-run`;
    this.installButton.hidden = false;
  }

  private finishRun(result: RunResult): void {
    clearInterval(this.elapsedTimer);
    this.terminal.stopInput();
    const time = result.wallTimeMs ?? performance.now() - this.runStartedAt;
    const tone = statusTone(result.status);
    const colour = tone === 'ok' ? ANSI.green : tone === 'warn' ? ANSI.yellow : ANSI.red;
    const parts = [result.status, result.exitCode !== null ? `exit code ${result.exitCode}` : null, formatMillis(time),
      result.memoryBytes ? `${formatBytes(result.memoryBytes)} peak memory` : null].filter(Boolean);
    if (result.status === 'OUTPUT_LIMIT' || result.stdoutTruncated || result.stderrTruncated) {
      this.terminal.note(`${ANSI.yellow}⚠ The program wrote more output than the server keeps; the rest was dropped.${ANSI.reset}`);
      toast('Output limit reached: the rest of the output was dropped.', 'error');
    }
    if (result.message && result.status !== 'OK') this.terminal.note(`${ANSI.dim}${result.message}${ANSI.reset}`);
    this.terminal.note(`${colour}■ ${parts.join(' · ')}${ANSI.reset}`);
    if (result.missingDependencies.length > 0) {
      // The result is authoritative (package names rather than module names when the server knows them).
      this.lastMissing = [];
      this.offerInstall(result.missingDependencies);
    }
    this.setRunState(result.status, false, tone);
    this.ai.runFinished(result);
    this.statusElapsed.textContent = formatMillis(time);
    this.statusExit.textContent = result.exitCode !== null ? `exit ${result.exitCode}` : '';
    this.statusMemory.textContent = result.memoryBytes ? `${formatBytes(result.memoryBytes)} peak` : '';
  }

  private onRunClosed(session: RunSession, problem: string | null): void {
    if (this.session !== session) return;
    if (problem) {
      clearInterval(this.elapsedTimer);
      this.terminal.stopInput();
      this.terminal.note(`${ANSI.red}✖ The run ended without a result: ${problem}.${ANSI.reset}`);
      this.setRunState('Disconnected', false, 'error');
    }
    this.session = null;
  }

  private stop(): void {
    if (!this.session || this.session.isFinished) return;
    this.setRunState('Stopping…', true);
    this.session.stop();
  }

  private setRunState(text: string, running: boolean, tone: 'ok' | 'warn' | 'error' | null = null): void {
    this.statusRun.textContent = running ? `● ${text}` : text;
    this.statusRun.className = `status-item run-state${tone ? ` ${tone}` : ''}${running ? ' running' : ''}`;
    document.body.dataset.running = String(running);
    this.runButton.disabled = running;
    this.stopButton.disabled = !running;
  }

  private setStatusMessage(message: string): void {
    this.statusRun.textContent = message;
    this.statusRun.className = 'status-item run-state';
  }

  // ---------------------------------------------------------------- errors

  private reportError(problem: unknown): void {
    if (problem instanceof ApiError && problem.status === 401) return; // the expiry screen says it
    toast(problem instanceof Error ? problem.message : String(problem), 'error');
  }

  private async guard(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (problem) {
      this.reportError(problem);
    }
  }

  dispose(): void {
    delete document.body.dataset.ideReady;
    this.listeners.abort();
    clearInterval(this.elapsedTimer);
    clearTimeout(this.previewTimer);
    this.session?.dispose();
    this.ai?.dispose();
    this.closeAllFiles();
    this.editor?.dispose();
    this.terminal?.xterm.dispose();
  }
}
