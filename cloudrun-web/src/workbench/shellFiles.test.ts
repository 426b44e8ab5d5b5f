import { describe, expect, it } from 'vitest';
import { ChangedFilesRefresher } from './shellFiles';

describe('changed files refresher', () => {
  it('refreshes the tree then the tabs, merging the changes that come while a refresh goes on', async () => {
    const calls: string[] = [];
    let release: () => void = () => {};
    let first = true;
    const refresher = new ChangedFilesRefresher({
      reloadTree: () => {
        calls.push('tree');
        if (!first) return Promise.resolve();
        first = false;
        return new Promise<void>((resolve) => { release = resolve; });
      },
      reloadTabs: async (paths) => { calls.push(`tabs ${paths === null ? 'all' : paths.join(',')}`); return paths?.includes('b') ? ['b'] : []; },
      keptEdits: (paths) => calls.push(`kept ${paths.join(',')}`),
    });
    refresher.changed(['a']);
    refresher.changed(['b']);
    refresher.changed(['c', 'b']);
    release();
    await refresher.idle();
    expect(calls).toEqual(['tree', 'tabs a', 'tree', 'tabs b,c', 'kept b']);
    refresher.changed(['d']);
    refresher.changed(null);
    await refresher.idle();
    expect(calls.slice(5)).toEqual(['tree', 'tabs d', 'tree', 'tabs all']);
  });

  it('a failed refresh does not stop the next one', async () => {
    let fail = true;
    const calls: string[] = [];
    const refresher = new ChangedFilesRefresher({
      reloadTree: async () => { if (fail) { fail = false; throw new Error('offline'); } calls.push('tree'); },
      reloadTabs: async () => { calls.push('tabs'); return []; },
      keptEdits: () => {},
    });
    refresher.changed(['a']);
    await refresher.idle();
    refresher.changed(['a']);
    await refresher.idle();
    expect(calls).toEqual(['tree', 'tabs']);
  });
});
