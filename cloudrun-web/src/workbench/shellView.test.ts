// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { ShellEvents, ShellSessionOptions, ShellState } from '../shellSession';
import type { ShellTerminalEvents } from '../shellTerminal';
import { ShellStore } from '../shellStore';
import { ShellView, type ShellConnection, type ShellScreen } from './shellView';

/** A tab's sessionStorage, kept across the views a test makes (one view per page load). */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => { items.set(key, value); },
    removeItem: (key: string) => { items.delete(key); },
  };
}

class FakeScreen implements ShellScreen {
  cols = 80;
  rows = 24;
  readonly written: string[] = [];
  focused = 0;
  disposed = false;
  constructor(readonly element: HTMLElement, readonly events: ShellTerminalEvents) {}
  write(data: string): void { this.written.push(data); }
  note(text: string): void { this.written.push(`note ${text}`); }
  reset(): void { this.written.push('reset'); }
  clear(): void { this.written.push('clear'); }
  focus(): void { this.focused++; }
  resize(): void {}
  setTheme(): void {}
  setFontSize(): void {}
  dispose(): void { this.disposed = true; }
}

class FakeConnection implements ShellConnection {
  state: ShellState = 'connecting';
  readonly calls: string[] = [];
  constructor(readonly options: ShellSessionOptions) {}
  get events(): ShellEvents { return this.options.events; }
  start(): void { this.calls.push('start'); }
  input(data: string): void { this.calls.push(`input ${data}`); }
  resize(cols: number, rows: number): void { this.calls.push(`resize ${cols}x${rows}`); }
  retryNow(): void { this.calls.push('retry'); }
  hangUp(): void { this.calls.push('hangUp'); }
  dispose(): void { this.calls.push('dispose'); }
}

function setup(storage = memoryStorage()) {
  const screens: FakeScreen[] = [];
  const connections: FakeConnection[] = [];
  const changed: Array<string[] | null> = [];
  let expired = 0;
  let projectId: string | null = 'p1';
  const window = new EventTarget();
  const view = new ShellView({
    host: {
      projectId: () => projectId, visible: () => true, token: () => 'tok', theme: () => 'dark', fontSize: () => 13,
      filesChanged: (paths) => changed.push(paths), sessionExpired: () => { expired++; },
    },
    screen: (element, events) => { const screen = new FakeScreen(element, events); screens.push(screen); return screen; },
    connect: (options) => { const connection = new FakeConnection(options); connections.push(connection); return connection; },
    window: window as unknown as Window,
    store: new ShellStore(storage),
  });
  document.body.replaceChildren(view.element);
  const tabs = () => [...view.element.querySelectorAll<HTMLElement>('.shell-tab')];
  const visibleBodies = () => [...view.element.querySelectorAll<HTMLElement>('.shell-body')].filter((body) => !body.hidden).map((body) => body.dataset.shell);
  return { view, screens, connections, changed, tabs, visibleBodies, window, storage, expired: () => expired, setProject: (id: string | null) => { projectId = id; } };
}

describe('shell view', () => {
  it('starts the first shell when shown, in the open project, at the terminal size; keystrokes and resizes go to it', () => {
    const { view, screens, connections, tabs } = setup();
    view.shown();
    expect(connections).toHaveLength(1);
    expect(connections[0].options.projectId).toBe('p1');
    expect(connections[0].options.size()).toEqual({ cols: 80, rows: 24 });
    expect(connections[0].calls).toEqual(['start']);
    expect(tabs().map((tab) => tab.textContent)).toEqual(['bash 1']);
    screens[0].events.data('ls\r');
    screens[0].events.resized(100, 30);
    connections[0].events.output('main.py\r\n');
    expect(connections[0].calls.slice(1)).toEqual(['input ls\r', 'resize 100x30']);
    expect(screens[0].written).toEqual(['main.py\r\n']);
    view.shown();
    expect(connections).toHaveLength(1);
  });

  it('opens several shells as tabs, switches between them and closes one, hanging it up', () => {
    const { view, screens, connections, tabs, visibleBodies } = setup();
    view.shown();
    view.element.querySelector<HTMLElement>('[data-action=new-shell]')!.click();
    view.element.querySelector<HTMLElement>('[data-action=new-shell]')!.click();
    expect(tabs().map((tab) => tab.textContent)).toEqual(['bash 1', 'bash 2', 'bash 3']);
    expect(visibleBodies()).toEqual(['3']);
    tabs()[0].click();
    expect(visibleBodies()).toEqual(['1']);
    expect(tabs()[0].getAttribute('aria-current')).toBe('true');
    expect(tabs()[1].hasAttribute('aria-current')).toBe(false);
    view.element.querySelector<HTMLElement>('[aria-label="Close bash 1"]')!.click();
    expect(connections[0].calls).toContain('dispose');
    expect(screens[0].disposed).toBe(true);
    expect(tabs().map((tab) => tab.textContent)).toEqual(['bash 2', 'bash 3']);
    expect(visibleBodies()).toEqual(['2']);
  });

  it('says when the shell exited, with a button to start a new one', () => {
    const { view, screens, connections, tabs } = setup();
    view.shown();
    connections[0].events.exited(3);
    expect(screens[0].written.at(-1)).toBe('note [process exited with status 3]');
    const restart = view.element.querySelector<HTMLElement>('[data-action=restart-shell]')!;
    expect(restart.closest<HTMLElement>('.shell-ended')!.hidden).toBe(false);
    restart.click();
    expect(connections).toHaveLength(2);
    expect(tabs().map((tab) => tab.textContent)).toEqual(['bash 1', 'bash 2']);
  });

  it('shows a dropped connection while it re-attaches, and redraws from the replay when it is back', () => {
    const { view, screens, connections, window } = setup();
    view.shown();
    connections[0].events.opened('t1', false);
    connections[0].events.reconnecting();
    const status = view.element.querySelector<HTMLElement>('.shell-status')!;
    expect(status.hidden).toBe(false);
    expect(status.textContent).toContain('reconnecting');
    window.dispatchEvent(new Event('online'));
    expect(connections[0].calls).toContain('retry');
    connections[0].events.opened('t1', true);
    connections[0].events.output('replayed');
    expect(status.hidden).toBe(true);
    expect(screens[0].written).toEqual(['reset', 'replayed']);
  });

  it('a refused shell says why; an expired session is reported', () => {
    const { view, screens, connections, expired } = setup();
    view.shown();
    connections[0].events.failed('too_many_terminals', 'At most 8 terminals at once.');
    expect(screens[0].written.at(-1)).toBe('note [At most 8 terminals at once.]');
    view.open();
    connections[1].events.failed('unauthorized', 'Sign in again.');
    expect(expired()).toBe(1);
  });

  it('passes file changes on, and hangs up the last project\'s shells when another opens', () => {
    const { view, connections, changed, tabs, setProject } = setup();
    view.shown();
    connections[0].events.filesChanged(['made.txt'], {});
    expect(changed).toEqual([['made.txt']]);
    setProject('p2');
    view.projectChanged();
    expect(connections[0].calls).toContain('dispose');
    expect(connections[1].options.projectId).toBe('p2');
    expect(tabs().map((tab) => tab.textContent)).toEqual(['bash 1']);
    setProject(null);
    view.projectChanged();
    expect(tabs()).toEqual([]);
    expect(connections).toHaveLength(2);
  });
  it('keeps the running shells\' ids for the tab, and a reload re-attaches to them with their replay', () => {
    const storage = memoryStorage();
    const first = setup(storage);
    first.view.shown();
    first.connections[0].events.opened('t1', false);
    first.view.open();
    first.connections[1].events.opened('t2', false);
    expect(JSON.parse(storage.items.get('cloudrun.shells.p1') ?? '[]')).toEqual(['t1', 't2']);

    // The page is reloaded: a new view on the same tab's storage.
    const second = setup(storage);
    second.view.shown();
    expect(second.connections.map((connection) => connection.options.terminalId)).toEqual(['t1', 't2']);
    expect(second.visibleBodies()).toEqual(['1']);
    second.connections[0].events.opened('t1', true);
    second.connections[0].events.output('earlier output');
    expect(second.screens[0].written).toEqual(['reset', 'earlier output']);
  });

  it('forgets a shell that ended or was closed, and one the server no longer has gives way to a new shell', () => {
    const storage = memoryStorage();
    const first = setup(storage);
    first.view.shown();
    first.connections[0].events.opened('t1', false);
    first.view.open();
    first.connections[1].events.opened('t2', false);
    first.view.open();
    first.connections[2].events.opened('t3', false);
    first.connections[1].events.exited(0);
    first.view.element.querySelector<HTMLButtonElement>("[aria-label='Close bash 3']")?.click();
    expect(JSON.parse(storage.items.get('cloudrun.shells.p1') ?? '[]')).toEqual(['t1']);

    const second = setup(storage);
    second.view.shown();
    expect(second.connections).toHaveLength(1);
    second.connections[0].events.failed('not_found', 'terminal not found');
    expect(second.connections).toHaveLength(2);
    expect(second.connections[1].options.terminalId).toBeUndefined();
    expect(second.tabs()).toHaveLength(1);
    expect(storage.items.has('cloudrun.shells.p1')).toBe(false);
  });

  it('forgets the shells of a project it leaves (they are hung up) and ignores junk in the storage', () => {
    const storage = memoryStorage();
    const first = setup(storage);
    first.view.shown();
    first.connections[0].events.opened('t1', false);
    first.setProject('p2');
    first.view.projectChanged();
    expect(first.connections[0].calls).toContain('dispose');
    expect(storage.items.has('cloudrun.shells.p1')).toBe(false);

    storage.items.set('cloudrun.shells.p3', '{"not": "a list"}');
    const second = setup(storage);
    second.setProject('p3');
    second.view.shown();
    expect(second.connections).toHaveLength(1);
    expect(second.connections[0].options.terminalId).toBeUndefined();
  });
});
