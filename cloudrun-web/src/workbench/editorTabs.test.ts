// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EditorTabs, type EditorTabsHost } from './editorTabs';
import { FakeDialogs, FakeEditor, FakeModel, FakeModels, FakeServer, LANGUAGES } from './fakes';
import { Workspace } from './workspace';

describe('editor tabs', () => {
  let server: FakeServer;
  let workspace: Workspace;
  let models: FakeModels;
  let editor: FakeEditor;
  let dialogs: FakeDialogs;
  let events: string[];
  let tabs: EditorTabs;

  const tabElements = () => [...tabs.element.querySelectorAll<HTMLElement>('.editor-tab')];
  const tabOf = (path: string) => tabs.element.querySelector<HTMLElement>(`.editor-tab[data-path='${path}']`)!;
  const modelOf = (path: string) => tabs.openFiles.find((file) => file.path === path)!.model as FakeModel;

  beforeEach(async () => {
    server = new FakeServer();
    server.addFile('main.py', 'print(1)\n');
    server.addFile('lib/util.py', 'x = 1\n');
    server.addFile('notes.md', '# notes\n');
    server.addFile('logo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0]));
    workspace = new Workspace(server, () => events.push('tree'));
    workspace.languages = LANGUAGES;
    workspace.open(server.snapshot());
    models = new FakeModels();
    editor = new FakeEditor();
    dialogs = new FakeDialogs();
    events = [];
    const host: EditorTabsHost = {
      filesChanged: () => events.push('files'),
      activated: (path) => events.push(`active ${path}`),
      download: (path) => events.push(`download ${path}`),
      statusMessage: (text) => events.push(`status ${text}`),
    };
    tabs = new EditorTabs(workspace, server, models, dialogs, host);
    tabs.attachEditor(editor);
  });

  it('shows the welcome screen until a file is open', () => {
    expect(tabs.element.querySelector('.editor-message')!.textContent).toContain('Open a file from the explorer.');
    workspace.close();
    tabs.render();
    expect(tabs.element.querySelector('.editor-message')!.textContent).toContain('Create or open a project to start.');
    expect(tabs.element.querySelectorAll('.shortcuts tr')).toHaveLength(4);
  });

  it('says the editor is loading while Monaco is not there yet, instead of an empty area', () => {
    const loading = new EditorTabs(workspace, server, models, dialogs, {
      filesChanged: () => {}, activated: () => {}, download: () => {}, statusMessage: () => {},
    });
    void loading.open('main.py');
    expect(loading.element.querySelector('[data-testid=editor-loading]')!.textContent).toBe('Loading editor…');
    workspace.close();
    loading.render();
    expect(loading.element.querySelector('[data-testid=editor-loading]')).toBeNull();
  });

  it('opens a file once, in its language mode, and makes it the active tab', async () => {
    await tabs.open('main.py');
    await tabs.open('lib/util.py');
    await tabs.open('main.py');
    expect(server.calls.filter((call) => call.startsWith('read'))).toEqual(['read main.py', 'read lib/util.py']);
    expect(models.created.map((model) => [model.language, model.uriPath])).toEqual([['python', '/p1/main.py'], ['python', '/p1/lib/util.py']]);
    expect(tabElements().map((tab) => tab.dataset.path)).toEqual(['main.py', 'lib/util.py']);
    expect(tabOf('main.py').classList.contains('active')).toBe(true);
    expect(tabOf('main.py').getAttribute('aria-selected')).toBe('true');
    expect(tabOf('lib/util.py').querySelector('.tab-name')!.textContent).toBe('util.py');
    expect(editor.model).toBe(modelOf('main.py'));
    expect(events).toContain('active lib/util.py');
    // Coming back to a tab restores where its view was.
    expect(editor.restored).toEqual([{ of: '/p1/main.py' }]);
  });

  it('is one Tab stop: Left and Right show the next tab, Delete closes the focused one', async () => {
    await tabs.open('main.py');
    await tabs.open('lib/util.py');
    document.body.append(tabs.element);
    const focusable = () => tabElements().filter((tab) => tab.tabIndex === 0).map((tab) => tab.dataset.path);
    expect(focusable()).toEqual(['lib/util.py']);
    tabOf('lib/util.py').focus();
    document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    expect(tabs.activePath).toBe('main.py');
    expect(document.activeElement).toBe(tabOf('main.py'));
    expect(focusable()).toEqual(['main.py']);
    document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Delete', bubbles: true }));
    await vi.waitFor(() => expect(tabElements().map((tab) => tab.dataset.path)).toEqual(['lib/util.py']));
    tabs.element.remove();
  });

  it('marks a file dirty when edited and clean after saving it', async () => {
    await tabs.open('main.py');
    modelOf('main.py').type('print(2)\n');
    tabs.edited();
    expect(tabOf('main.py').classList.contains('dirty')).toBe(true);
    expect(tabOf('main.py').getAttribute('aria-label')).toBe('main.py, unsaved changes');
    expect(tabOf('main.py').querySelector('.tab-close')!.getAttribute('title')).toBe('Unsaved changes; close main.py');
    expect(tabs.isPathDirty('main.py')).toBe(true);
    expect(tabs.anyDirty()).toBe(true);
    expect(new TextDecoder().decode(tabs.contentOf('main.py'))).toBe('print(2)\n');

    await tabs.saveActive();
    expect(new TextDecoder().decode(server.files.get('main.py'))).toBe('print(2)\n');
    expect(tabOf('main.py').classList.contains('dirty')).toBe(false);
    expect(tabs.anyDirty()).toBe(false);
    expect(events).toContain('status Saved main.py');
    // Nothing new to save: no second write.
    await tabs.saveAll();
    expect(server.calls.filter((call) => call === 'write main.py')).toHaveLength(1);
  });

  it('reloads the tree when a saved file was not on the server yet', async () => {
    await tabs.open('main.py');
    workspace.entries = workspace.entries.filter((entry) => entry.path !== 'main.py');
    modelOf('main.py').type('new\n');
    await tabs.saveAll();
    expect(events).toContain('tree');
    expect(workspace.hasEntry('main.py')).toBe(true);
  });

  it('reports a failed save instead of throwing', async () => {
    await tabs.open('main.py');
    modelOf('main.py').type('new\n');
    server.writeFile = async () => { throw new Error('disk full'); };
    await tabs.saveActive();
    expect(dialogs.toasts).toEqual([{ message: 'disk full', tone: 'error' }]);
    expect(tabs.isPathDirty('main.py')).toBe(true);
  });

  it('closing the active tab picks its right neighbour, or the left one at the end', async () => {
    await tabs.open('main.py');
    await tabs.open('lib/util.py');
    await tabs.open('notes.md');
    tabs.activate(tabs.openFiles[1]);
    const util = modelOf('lib/util.py');
    await tabs.requestClose(tabs.openFiles[1]);
    expect(util.disposed).toBe(true);
    expect(tabs.activePath).toBe('notes.md');
    await tabs.requestClose(tabs.active!);
    expect(tabs.activePath).toBe('main.py');
    await tabs.requestClose(tabs.active!);
    expect(tabs.activePath).toBeNull();
    expect(editor.model).toBeNull();
    expect(tabElements()).toHaveLength(0);
  });

  it('asks before closing a tab with unsaved changes', async () => {
    await tabs.open('main.py');
    modelOf('main.py').type('changed\n');
    dialogs.confirms.push(false);
    await tabs.requestClose(tabs.active!);
    expect(tabs.activePath).toBe('main.py');
    dialogs.confirms.push(true);
    await tabs.requestClose(tabs.active!);
    expect(tabs.openFiles).toHaveLength(0);
  });

  it('shows a binary file as a placeholder with a download button', async () => {
    await tabs.open('logo.png');
    expect(tabs.editorHost.hidden).toBe(true);
    expect(tabs.element.querySelector('.editor-message')!.textContent).toContain('logo.png is a binary file (5 B).');
    tabs.element.querySelector<HTMLButtonElement>('.editor-message button')!.click();
    expect(events).toContain('download logo.png');
    expect(tabs.contentOf('logo.png')).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0]));
  });

  it('tabs follow a renamed folder and keep their unsaved changes', async () => {
    await tabs.open('main.py');
    await tabs.open('lib/util.py');
    const old = modelOf('lib/util.py');
    old.type('edited\n');
    await tabs.renamed('lib', 'src');
    expect(tabs.activePath).toBe('src/util.py');
    expect(old.disposed).toBe(true);
    expect(modelOf('src/util.py').uriPath).toBe('/p1/src/util.py');
    expect(modelOf('src/util.py').getValue()).toBe('edited\n');
    expect(tabs.isPathDirty('src/util.py')).toBe(true);
    expect(tabs.isPathDirty('main.py')).toBe(false);
    expect(editor.model).toBe(modelOf('src/util.py'));
    expect(tabOf('src/util.py')).not.toBeNull();
  });

  it('closes the tabs inside a deleted folder and a file replaced by an upload', async () => {
    await tabs.open('main.py');
    await tabs.open('lib/util.py');
    tabs.closeWithin('lib');
    expect(tabs.openFiles.map((file) => file.path)).toEqual(['main.py']);
    tabs.closeIfOpen('main.py');
    expect(tabs.openFiles).toHaveLength(0);
  });

  it('after a shell changed files, clean tabs show them as they are now, gone ones close, unsaved edits stay; the focus stays put', async () => {
    await tabs.open('main.py');
    await tabs.open('notes.md');
    await tabs.open('lib/util.py');
    await tabs.open('logo.png');
    modelOf('notes.md').type('# my unsaved notes\n');
    const shell = document.createElement('textarea');
    document.body.append(shell);
    shell.focus();
    server.addFile('main.py', 'print(2)\n');
    server.addFile('notes.md', '# from the shell\n');
    server.addFile('logo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1]));
    await server.deleteEntry('p1', 'lib');
    workspace.open(server.snapshot());
    events = [];
    const kept = await tabs.reloadChanged(['main.py', 'notes.md', 'lib', 'logo.png']);
    expect(kept).toEqual(['notes.md']);
    expect(modelOf('main.py').getValue()).toBe('print(2)\n');
    expect(tabs.isPathDirty('main.py')).toBe(false);
    expect(modelOf('notes.md').getValue()).toBe('# my unsaved notes\n');
    expect(tabs.openFiles.map((file) => file.path)).toEqual(['main.py', 'notes.md', 'logo.png']);
    expect(tabs.openFiles.find((file) => file.path === 'logo.png')!.binary![4]).toBe(1);
    expect(events).toContain('files');
    expect(document.activeElement).toBe(shell);
    shell.remove();
  });

  it('reloads only the tabs of the changed paths, or all of them when the server does not say which', async () => {
    await tabs.open('main.py');
    await tabs.open('notes.md');
    server.calls.length = 0;
    await tabs.reloadChanged(['made-in-shell.txt']);
    expect(server.calls).toEqual([]);
    await tabs.reloadChanged(null);
    expect(server.calls).toEqual(['read main.py', 'read notes.md']);
  });
});
