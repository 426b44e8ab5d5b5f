// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { Project } from '../api';
import type { Entry } from '../paths';
import { entryCandidates, EntryPicker } from './entryPicker';
import { LANGUAGES } from './fakes';

const file = (path: string): Entry => ({ path, kind: 'file', sizeBytes: 1 });

describe('entry picker', () => {
  const entries = [file('main.py'), file('lib/helper.py'), file('tool.js'), file('index.html'), file('notes.md'),
    { path: 'lib', kind: 'folder', sizeBytes: 0 } as Entry];

  it('offers the runnable files, not pages, notes or folders', () => {
    expect(entryCandidates(entries, LANGUAGES)).toEqual(['lib/helper.py', 'main.py', 'tool.js']);
  });

  it('shows the entry, saves a new choice and shows a missing entry as missing', async () => {
    const project: Project = { id: 'p1', name: 'Demo', language: 'python', entry: 'main.py' };
    const saved: string[] = [];
    const problems: unknown[] = [];
    let fail = false;
    const picker = new EntryPicker({
      project: () => project,
      entries: () => entries,
      languages: () => LANGUAGES,
      setEntry: async (path) => {
        if (fail) throw new Error('offline');
        saved.push(path);
        project.entry = path;
      },
      reportError: (problem) => problems.push(problem),
    });
    const select = picker.element.querySelector('select')!;
    expect(select.value).toBe('main.py');
    expect([...select.options].map((option) => option.value)).toEqual(['lib/helper.py', 'main.py', 'tool.js']);

    select.value = 'lib/helper.py';
    select.dispatchEvent(new Event('change'));
    await Promise.resolve();
    await Promise.resolve();
    expect(saved).toEqual(['lib/helper.py']);
    expect(select.value).toBe('lib/helper.py');

    fail = true;
    select.value = 'tool.js';
    select.dispatchEvent(new Event('change'));
    await Promise.resolve();
    await Promise.resolve();
    expect(problems).toHaveLength(1);
    expect(select.value).toBe('lib/helper.py');

    project.entry = 'gone.py';
    picker.render();
    expect(select.options[0].textContent).toBe('gone.py (missing)');
    expect(picker.element.hidden).toBe(false);
  });

  it('is hidden when the project has nothing to run', () => {
    const picker = new EntryPicker({ project: () => null, entries: () => [], languages: () => LANGUAGES,
      setEntry: async () => {}, reportError: () => {} });
    expect(picker.element.hidden).toBe(true);
  });
});
