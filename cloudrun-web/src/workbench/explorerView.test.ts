// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { ExplorerView, type ExplorerHost } from './explorerView';
import { FakeDialogs, FakeServer, LANGUAGES } from './fakes';
import { Workspace } from './workspace';

describe('explorer view', () => {
  let server: FakeServer;
  let workspace: Workspace;
  let dialogs: FakeDialogs;
  let events: string[];
  let dirty: Set<string>;
  let explorer: ExplorerView;
  let sidebar: HTMLElement;

  const render = () => {
    sidebar.replaceChildren();
    explorer.render(sidebar);
  };
  const rows = () => [...sidebar.querySelectorAll<HTMLElement>('.tree-row')].map((row) => `${row.dataset.kind} ${row.dataset.path}`);
  const row = (path: string) => sidebar.querySelector<HTMLElement>(`.tree-row[data-path='${path}']`)!;

  beforeEach(() => {
    server = new FakeServer();
    server.addFile('main.py', 'print(1)\n');
    server.addFile('lib/util.py', 'x = 1\n');
    server.addFile('lib/deep/a.txt', 'a');
    server.addFile('README.md', '# hi');
    events = [];
    dirty = new Set();
    workspace = new Workspace(server, () => { events.push('tree'); render(); });
    workspace.languages = LANGUAGES;
    workspace.open(server.snapshot());
    dialogs = new FakeDialogs();
    const host: ExplorerHost = {
      activePath: () => 'main.py',
      isDirty: (path) => dirty.has(path),
      openFile: async (path) => { events.push(`open ${path}`); },
      renamed: async (from, to) => { events.push(`renamed ${from} ${to}`); },
      deleted: (path) => events.push(`deleted ${path}`),
      replaced: (path) => events.push(`replaced ${path}`),
      uploaded: () => events.push('uploaded'),
      showProjects: () => events.push('projects'),
      changed: () => render(),
    };
    explorer = new ExplorerView(workspace, server, dialogs, host);
    sidebar = document.createElement('aside');
    render();
  });

  it('shows folders first, then files, each alphabetical; folders open on a click', () => {
    expect(sidebar.querySelector('.explorer-project')!.textContent).toBe('Demo');
    expect(rows()).toEqual(['folder lib', 'file main.py', 'file README.md']);
    expect(row('main.py').classList.contains('active')).toBe(true);
    row('lib').click();
    expect(rows()).toEqual(['folder lib', 'folder lib/deep', 'file lib/util.py', 'file main.py', 'file README.md']);
    expect(row('lib').getAttribute('aria-expanded')).toBe('true');
    expect(row('lib').classList.contains('selected')).toBe(true);
    expect(row('lib/util.py').getAttribute('style')).toBe('padding-left:20px');
    row('lib').click();
    expect(rows()).toEqual(['folder lib', 'file main.py', 'file README.md']);
  });

  it('opens a file on a click and marks files with unsaved changes', () => {
    dirty.add('README.md');
    render();
    expect(row('README.md').querySelector('.dirty-dot')).not.toBeNull();
    expect(row('main.py').querySelector('.dirty-dot')).toBeNull();
    row('README.md').click();
    expect(events).toEqual(['open README.md']);
  });

  it('is one Tab stop (a roving tabindex) that the arrows move and Enter opens', () => {
    document.body.append(sidebar);
    const press = (key: string) => (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    const stops = () => [...sidebar.querySelectorAll<HTMLElement>('.tree-row')].filter((candidate) => candidate.tabIndex === 0).map((candidate) => candidate.dataset.path);
    expect(sidebar.querySelector('[role=tree]')).not.toBeNull();
    expect(stops()).toEqual(['main.py']);
    row('main.py').focus();
    press('ArrowUp');
    expect(document.activeElement).toBe(row('lib'));
    expect(stops()).toEqual(['lib']);
    press('ArrowRight');
    expect(rows()).toEqual(['folder lib', 'folder lib/deep', 'file lib/util.py', 'file main.py', 'file README.md']);
    expect(document.activeElement).toBe(row('lib'));
    expect(stops()).toEqual(['lib']);
    press('ArrowRight');
    press('ArrowDown');
    expect(document.activeElement).toBe(row('lib/util.py'));
    press('Enter');
    expect(events).toEqual(['open lib/util.py']);
    press('ArrowLeft');
    expect(document.activeElement).toBe(row('lib'));
    press('ArrowLeft');
    expect(rows()).toEqual(['folder lib', 'file main.py', 'file README.md']);
    press('End');
    expect(document.activeElement).toBe(row('README.md'));
    expect(stops()).toEqual(['README.md']);
    render();
    expect(stops()).toEqual(['README.md']);
    sidebar.remove();
  });

  it('without a project it points to the projects', () => {
    workspace.close();
    render();
    expect(sidebar.querySelector('.empty')!.textContent).toBe('No project is open.');
    sidebar.querySelector<HTMLButtonElement>('.button.secondary')!.click();
    expect(events).toEqual(['projects']);
  });

  it('creates a file in the selected folder and opens it; the name is checked', async () => {
    row('lib').click();
    dialogs.answers.push('new.py');
    await explorer.newEntry('file');
    expect(dialogs.asked[0].title).toBe('New file in lib');
    const validate = dialogs.asked[0].validate!;
    expect(validate('a/b.py')).toContain('cannot hold');
    expect(validate('..')).toBe('The name cannot be "." or "..".');
    expect(validate('ok.py')).toBeNull();
    expect(server.calls).toContain('write lib/new.py');
    expect(events).toEqual(['tree', 'open lib/new.py']);
    expect(rows()).toContain('file lib/new.py');
  });

  it('refuses a name that exists and makes folders', async () => {
    dialogs.answers.push('main.py');
    await explorer.newEntry('file');
    expect(dialogs.toasts).toEqual([{ message: 'main.py already exists.', tone: 'error' }]);
    dialogs.answers.push('docs');
    await explorer.newEntry('folder');
    expect(server.calls).toContain('folder docs');
  });

  it('renames a folder: open tabs, expanded folders and the project entry follow', async () => {
    server.addFile('lib/run.py', '');
    workspace.project!.entry = 'lib/run.py';
    row('lib').click();
    dialogs.answers.push('src');
    await explorer.rename('lib');
    expect(server.calls).toContain('move lib src');
    expect(events).toContain('renamed lib src');
    expect(server.calls).toContain('update p1 {"entry":"src/run.py"}');
    expect(explorer.selectedFolder).toBe('src');
    expect(rows()).toContain('file src/util.py');
    expect(row('src').getAttribute('aria-expanded')).toBe('true');
  });

  it('deletes after asking; the selection moves out of the deleted folder', async () => {
    row('lib').click();
    row('lib/deep').click();
    dialogs.confirms.push(true);
    await explorer.delete('lib/deep', 'folder');
    expect(server.calls).toContain('delete lib/deep');
    expect(events).toContain('deleted lib/deep');
    expect(explorer.selectedFolder).toBe('lib');
    dialogs.confirms.push(false);
    await explorer.delete('main.py', 'file');
    expect(server.calls).not.toContain('delete main.py');
  });

  it('uploads into the selected folder, skipping names the server would refuse', async () => {
    row('lib').click();
    await explorer.upload([new File(['data'], 'data.csv'), new File(['x'], 'bad:name.txt')]);
    expect(server.calls).toContain('write lib/data.csv');
    expect(dialogs.toasts[0]).toEqual({ message: 'bad:name.txt: The name cannot hold / \\ : * ? " < > | or control characters.', tone: 'error' });
    expect(dialogs.toasts[1]).toEqual({ message: 'Uploaded 2 files', tone: 'info' });
    expect(events).toEqual(['replaced lib/data.csv', 'tree', 'uploaded']);
    expect(new TextDecoder().decode(server.files.get('lib/data.csv'))).toBe('data');
  });

  it('uploads files dropped on the side bar', async () => {
    explorer.acceptDrops(sidebar);
    const drop = new Event('drop', { cancelable: true }) as Event & { dataTransfer: unknown };
    drop.dataTransfer = { files: [new File(['dropped'], 'dropped.txt')] };
    sidebar.dispatchEvent(drop);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(drop.defaultPrevented).toBe(true);
    expect(server.calls).toContain('write dropped.txt');
    expect(rows()).toContain('file dropped.txt');
  });
});
