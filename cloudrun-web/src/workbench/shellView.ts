/**
 * The panel's Shell tab: shells in the open project's workspace, one sub-tab each, with a "+" to open
 * another and a close button on each. A shell ends with "[process exited with status N]" and a button
 * to start a new one; one whose connection drops says so and comes back on its own
 * ({@link ShellSession}). The first shell starts when the tab is first shown, so a project that never
 * opens it costs the server no workspace. The open shells' ids are kept for the browser tab
 * ({@link ShellStore}): after a reload of the page, the Shell tab re-attaches to the same shells, their
 * recent output shown again, and opens a new one only if none of them is left.
 */
import { h, icon } from '../dom';
import { ShellSession, type ShellEvents, type ShellSessionOptions, type ShellState } from '../shellSession';
import type { ShellTerminalEvents } from '../shellTerminal';
import { ShellStore, sessionShellStorage } from '../shellStore';

/** What the view needs of a shell's terminal (a {@link ShellTerminal} in the IDE). */
export interface ShellScreen {
  readonly cols: number;
  readonly rows: number;
  write(data: string): void;
  note(text: string): void;
  reset(): void;
  clear(): void;
  focus(): void;
  resize(): void;
  setTheme(theme: 'dark' | 'light'): void;
  setFontSize(size: number): void;
  dispose(): void;
}

/** What the view needs of a shell's connection (a {@link ShellSession} in the IDE). */
export interface ShellConnection {
  readonly state: ShellState;
  start(): void;
  input(data: string): void;
  resize(cols: number, rows: number): void;
  retryNow(): void;
  hangUp(): void;
  dispose(): void;
}

export interface ShellViewHost {
  projectId(): string | null;
  /** Whether the Shell tab is showing. */
  visible(): boolean;
  token(): string | null;
  theme(): 'dark' | 'light';
  fontSize(): number;
  /**
   * A shell changed project files (null: which is not known): the explorer and open tabs catch up;
   * `skipped` names files the server left out of the project, with why.
   */
  filesChanged(paths: string[] | null, skipped: Record<string, string>): void;
  /** The server no longer takes the token. */
  sessionExpired(): void;
}

export interface ShellViewOptions {
  host: ShellViewHost;
  /** Makes a shell's terminal in `element`. */
  screen(element: HTMLElement, events: ShellTerminalEvents): ShellScreen;
  connect?(options: ShellSessionOptions): ShellConnection;
  /** The window whose `online` event retries dropped shells at once. */
  window?: Pick<Window, 'addEventListener'>;
  /** Where the open shells' ids are kept over a reload (by default the tab's `sessionStorage`). */
  store?: ShellStore;
}

interface Shell {
  readonly number: number;
  readonly label: string;
  readonly screen: ShellScreen;
  readonly connection: ShellConnection;
  readonly tab: HTMLButtonElement;
  readonly item: HTMLElement;
  readonly body: HTMLElement;
  readonly status: HTMLElement;
  readonly ended: HTMLElement;
  readonly projectId: string;
  /** The server's id of the shell while it runs (null before it opened and once it ended). */
  terminalId: string | null;
}

export class ShellView {
  /** A group of buttons, not a tab list: each shell's close button sits beside it, which a tab list may not hold. */
  private readonly tabList = h('div', { class: 'shell-tabs', role: 'group', 'aria-label': 'Shells' });
  private readonly newButton = h('button', { class: 'icon-button shell-new', type: 'button', title: 'New shell', 'aria-label': 'New shell',
    'data-action': 'new-shell', onclick: () => this.open() }, icon('plus', 14));
  private readonly bodies = h('div', { class: 'shell-bodies' });
  private readonly empty = h('div', { class: 'shell-empty' },
    h('p', { class: 'hint', text: 'A shell in this project\'s workspace: its files are the project\'s. Ctrl+` goes back to the editor.' }),
    h('button', { class: 'button secondary', type: 'button', text: 'Open a shell', onclick: () => this.open() }));
  readonly element = h('div', { class: 'shell-view', 'data-testid': 'shell' },
    h('div', { class: 'shell-bar' }, this.tabList, this.newButton), this.bodies);
  private shells: Shell[] = [];
  private active: Shell | null = null;
  private count = 0;
  private readonly listeners = new AbortController();
  private readonly host: ShellViewHost;
  private readonly connect: (options: ShellSessionOptions) => ShellConnection;
  private readonly store: ShellStore;

  constructor(private readonly options: ShellViewOptions) {
    this.host = options.host;
    this.connect = options.connect ?? ((session) => new ShellSession(session));
    this.store = options.store ?? new ShellStore(sessionShellStorage());
    (options.window ?? window).addEventListener('online', () => this.shells.forEach((shell) => shell.connection.retryNow()),
      { signal: this.listeners.signal });
    this.render();
  }

  /** The Shell tab was shown: the active shell fits itself; with none yet, the first one starts. */
  shown(): void {
    if (this.shells.length === 0 && this.host.projectId()) this.restoreOrOpen();
    else this.active?.screen.resize();
  }

  /** Re-attaches to the shells this browser tab had open in the project (a reload), or opens a new one. */
  private restoreOrOpen(): void {
    const projectId = this.host.projectId();
    if (!projectId) return;
    const kept = this.store.load(projectId);
    if (kept.length === 0) {
      this.open();
      return;
    }
    for (const terminalId of kept) this.open(terminalId);
    this.activate(this.shells[0]);
  }

  /** Whether the focus is in a shell. */
  contains(element: Element | null): boolean {
    return element !== null && this.bodies.contains(element);
  }

  get shellCount(): number {
    return this.shells.length;
  }

  focus(): void {
    this.active?.screen.focus();
  }

  clear(): void {
    this.active?.screen.clear();
  }

  resize(): void {
    this.active?.screen.resize();
  }

  applySettings(theme: 'dark' | 'light', fontSize: number): void {
    for (const shell of this.shells) {
      shell.screen.setTheme(theme);
      shell.screen.setFontSize(fontSize);
    }
  }

  /** Another project was opened (or none): the shells of the last one are hung up. */
  projectChanged(): void {
    this.hangUpAll();
    this.active = null;
    this.count = 0;
    this.render();
    if (this.host.visible() && this.host.projectId()) this.restoreOrOpen();
  }

  /**
   * Opens a new shell in the project's workspace and shows it.
   *
   * @param resume the id of a shell of this project to re-attach to instead (kept over a reload)
   */
  open(resume?: string): void {
    const projectId = this.host.projectId();
    if (!projectId) return;
    const number = ++this.count;
    const label = `bash ${number}`;
    const tab = h('button', { class: 'shell-tab', type: 'button', 'data-shell': String(number), text: label,
      onclick: () => this.activate(shell) });
    const close = h('button', { class: 'icon-button shell-close', type: 'button', title: `Close ${label}`, 'aria-label': `Close ${label}`,
      onclick: () => this.close(shell) }, icon('close', 12));
    const item = h('div', { class: 'shell-tab-item' }, tab, close);
    const status = h('div', { class: 'shell-status', role: 'status', hidden: true });
    const ended = h('div', { class: 'shell-ended', hidden: true },
      h('button', { class: 'button secondary', type: 'button', text: 'Start a new shell', 'data-action': 'restart-shell', onclick: () => this.open() }));
    const screenHost = h('div', { class: 'shell-host' });
    const body = h('div', { class: 'shell-body', 'data-shell': String(number) }, screenHost, status, ended);
    this.bodies.append(body);
    const screen = this.options.screen(screenHost, {
      data: (data) => shell.connection.input(data),
      resized: (cols, rows) => shell.connection.resize(cols, rows),
    });
    const events: ShellEvents = {
      opened: (id, reattached) => {
        status.hidden = true;
        if (reattached) screen.reset();
        shell.terminalId = id || null;
        this.persist(shell.projectId);
      },
      output: (data) => screen.write(data),
      reconnecting: () => this.say(shell, 'Connection lost: reconnecting to the shell…'),
      filesChanged: (paths, skipped) => this.host.filesChanged(paths, skipped),
      exited: (status) => this.ended(shell, status === null ? '[process exited]' : `[process exited with status ${status}]`),
      failed: (code, message) => {
        if (resume && shell.terminalId === null && code === 'not_found') {
          // A shell kept over a reload that the server no longer has (it ended, or its window passed): no tab for it.
          this.close(shell);
          if (this.shells.length === 0 && this.host.projectId() === shell.projectId) this.open();
          return;
        }
        if (code === 'unauthorized') this.host.sessionExpired();
        this.ended(shell, `[${message}]`);
      },
      notice: (_code, message) => screen.note(`[${message}]`),
    };
    const shell: Shell = {
      number, label, screen, tab, item, body, status, ended, projectId, terminalId: null,
      connection: this.connect({ projectId, token: () => this.host.token(), size: () => ({ cols: screen.cols, rows: screen.rows }), events,
        ...(resume ? { terminalId: resume } : {}) }),
    };
    this.shells.push(shell);
    this.activate(shell);
    shell.connection.start();
  }

  private activate(shell: Shell): void {
    this.active = shell;
    this.render();
    shell.screen.resize();
    shell.screen.focus();
  }

  private say(shell: Shell, text: string): void {
    shell.status.textContent = text;
    shell.status.hidden = false;
  }

  private ended(shell: Shell, line: string): void {
    shell.terminalId = null;
    this.persist(shell.projectId);
    shell.status.hidden = true;
    shell.screen.note(line);
    shell.ended.hidden = false;
    shell.tab.classList.add('ended');
  }

  /** Closes a shell's tab, hanging the shell up. */
  close(shell: Shell): void {
    const index = this.shells.indexOf(shell);
    if (index < 0) return;
    this.dispose(shell);
    this.shells.splice(index, 1);
    this.persist(shell.projectId);
    if (this.active === shell) this.active = this.shells[Math.min(index, this.shells.length - 1)] ?? null;
    this.render();
    if (this.active) {
      this.active.screen.resize();
      this.active.screen.focus();
    }
  }

  private dispose(shell: Shell): void {
    shell.connection.dispose();
    shell.screen.dispose();
    shell.body.remove();
  }

  private render(): void {
    this.tabList.replaceChildren(...this.shells.map((shell) => shell.item));
    for (const shell of this.shells) {
      const selected = shell === this.active;
      shell.tab.classList.toggle('active', selected);
      if (selected) shell.tab.setAttribute('aria-current', 'true');
      else shell.tab.removeAttribute('aria-current');
      shell.body.hidden = !selected;
    }
    if (this.shells.length === 0) this.bodies.replaceChildren(this.empty);
    else this.empty.remove();
  }

  /** Keeps the ids of the project's running shells for a reload. */
  private persist(projectId: string): void {
    this.store.save(projectId, this.shells.filter((shell) => shell.projectId === projectId && shell.terminalId !== null)
      .map((shell) => shell.terminalId as string));
  }

  /** Hangs up every shell and forgets their ids. */
  private hangUpAll(): void {
    const projects = new Set(this.shells.map((shell) => shell.projectId));
    for (const shell of this.shells) this.dispose(shell);
    this.shells = [];
    for (const projectId of projects) this.store.save(projectId, []);
  }

  /** Hangs up every shell (signing out, the IDE going away; a reload leaves them to be re-attached). */
  disposeAll(): void {
    this.listeners.abort();
    this.hangUpAll();
    this.active = null;
  }
}
