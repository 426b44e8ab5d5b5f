import { describe, expect, it } from 'vitest';
import { FakeServer, LANGUAGES } from './fakes';
import { Workspace } from './workspace';

describe('workspace', () => {
  function workspace(entry: string | null, language = 'python') {
    const server = new FakeServer('p1', entry, language);
    server.addFile('docs/readme.md', '');
    server.addFile('app.py', '');
    let reloads = 0;
    const open = new Workspace(server, () => reloads++);
    open.languages = LANGUAGES;
    open.open(server.snapshot());
    return { open, server, reloads: () => reloads };
  }

  it('opens the entry file first, else the first file', () => {
    expect(workspace('app.py').open.initialFile()).toBe('app.py');
    expect(workspace('gone.py').open.initialFile()).toBe('docs/readme.md');
  });

  it('knows an HTML project and reloads the file list', async () => {
    expect(workspace('index.html', 'html').open.isHtmlProject()).toBe(true);
    const { open, server, reloads } = workspace('app.py');
    expect(open.isHtmlProject()).toBe(false);
    server.addFile('new.py', '');
    await open.reloadTree();
    expect(open.hasEntry('new.py')).toBe(true);
    expect(reloads()).toBe(1);
    open.close();
    await open.reloadTree();
    expect(reloads()).toBe(1);
  });
});
