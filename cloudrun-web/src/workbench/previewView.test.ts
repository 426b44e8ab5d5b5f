// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { Project } from '../api';
import type { Entry } from '../paths';
import { NO_PAGE, previewPage, PreviewView } from './previewView';

const file = (path: string): Entry => ({ path, kind: 'file', sizeBytes: 1 });
const encoder = new TextEncoder();

describe('preview page', () => {
  it('is the open HTML file, else the HTML entry, else the first HTML file', () => {
    const entries = [file('main.py'), file('docs/about.htm'), file('index.html')];
    expect(previewPage('other.html', 'index.html', entries)).toBe('other.html');
    expect(previewPage('main.py', 'index.html', entries)).toBe('index.html');
    expect(previewPage('main.py', 'main.py', entries)).toBe('docs/about.htm');
    expect(previewPage(null, null, [file('main.py')])).toBeNull();
  });
});

describe('preview view', () => {
  const project: Project = { id: 'p1', name: 'Site', language: 'html', entry: 'index.html' };

  function view(entries: Entry[], server: Record<string, string>, open: Record<string, string> = {}, shown = project) {
    const reads: string[] = [];
    const layouts: boolean[] = [];
    const preview: PreviewView = new PreviewView({
      project: () => shown,
      entries: () => entries,
      activePath: () => null,
      openContent: (path) => (path in open ? encoder.encode(open[path]) : undefined),
      read: async (_id, path) => { reads.push(path); return encoder.encode(server[path]); },
    }, () => layouts.push(preview.visible));
    return { preview, reads, layouts, frame: preview.element.querySelector('iframe')! };
  }

  it('builds the page from the server\'s files and the unsaved edits of open ones', async () => {
    const { preview, reads, layouts, frame } = view([file('index.html'), file('style.css')],
      { 'index.html': '<link rel="stylesheet" href="style.css"><h1>Old</h1>', 'style.css': 'h1 { color: red }' },
      { 'index.html': '<link rel="stylesheet" href="style.css"><h1>New</h1>' });
    await preview.refresh();
    expect(preview.document).toBeNull();
    preview.setVisible(true);
    await preview.refresh();
    expect(layouts).toEqual([true]);
    expect(reads).toContain('style.css');
    expect(reads).not.toContain('index.html');
    expect(preview.document).toContain('<h1>New</h1>');
    expect(preview.document).toContain('h1 { color: red }');
    expect(frame.getAttribute('src')).toMatch(/^preview\.html\?v=\d+$/);
    expect(frame.getAttribute('srcdoc')).toBeNull();
    expect(frame.getAttribute('sandbox')).toBe('allow-scripts allow-modals allow-forms');
  });

  it('says so when the project has no HTML page', async () => {
    const { preview } = view([file('main.py')], { 'main.py': '' }, {}, { ...project, entry: 'main.py' });
    preview.setVisible(true);
    await preview.refresh();
    expect(preview.document).toBe(NO_PAGE);
  });
});
