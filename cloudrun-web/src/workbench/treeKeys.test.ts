import { describe, expect, it } from 'vitest';
import { tabStop, treeKeyAction, type TreeRow } from './treeKeys';

// lib/ (open) > deep/ (closed), util.py ; main.py ; README.md
const ROWS: TreeRow[] = [
  { path: 'lib', kind: 'folder', expanded: true, parent: '' },
  { path: 'lib/deep', kind: 'folder', expanded: false, parent: 'lib' },
  { path: 'lib/util.py', kind: 'file', expanded: false, parent: 'lib' },
  { path: 'main.py', kind: 'file', expanded: false, parent: '' },
  { path: 'README.md', kind: 'file', expanded: false, parent: '' },
];

describe('tree keys', () => {
  it('moves the focus with the arrows, Home and End, and stops at the ends', () => {
    expect(treeKeyAction(ROWS, 'lib', 'ArrowDown')).toEqual({ type: 'focus', path: 'lib/deep' });
    expect(treeKeyAction(ROWS, 'main.py', 'ArrowUp')).toEqual({ type: 'focus', path: 'lib/util.py' });
    expect(treeKeyAction(ROWS, 'lib', 'ArrowUp')).toEqual({ type: 'focus', path: 'lib' });
    expect(treeKeyAction(ROWS, 'README.md', 'ArrowDown')).toEqual({ type: 'focus', path: 'README.md' });
    expect(treeKeyAction(ROWS, 'main.py', 'Home')).toEqual({ type: 'focus', path: 'lib' });
    expect(treeKeyAction(ROWS, 'lib', 'End')).toEqual({ type: 'focus', path: 'README.md' });
  });

  it('opens and enters folders with Right, closes them or goes to the parent with Left', () => {
    expect(treeKeyAction(ROWS, 'lib/deep', 'ArrowRight')).toEqual({ type: 'expand', path: 'lib/deep' });
    expect(treeKeyAction(ROWS, 'lib', 'ArrowRight')).toEqual({ type: 'focus', path: 'lib/deep' });
    expect(treeKeyAction(ROWS, 'main.py', 'ArrowRight')).toBeNull();
    expect(treeKeyAction(ROWS, 'lib', 'ArrowLeft')).toEqual({ type: 'collapse', path: 'lib' });
    expect(treeKeyAction(ROWS, 'lib/util.py', 'ArrowLeft')).toEqual({ type: 'focus', path: 'lib' });
    expect(treeKeyAction(ROWS, 'lib/deep', 'ArrowLeft')).toEqual({ type: 'focus', path: 'lib' });
    expect(treeKeyAction(ROWS, 'main.py', 'ArrowLeft')).toBeNull();
  });

  it('an open folder with nothing in it is not entered', () => {
    const rows: TreeRow[] = [{ path: 'empty', kind: 'folder', expanded: true, parent: '' }, { path: 'a.py', kind: 'file', expanded: false, parent: '' }];
    expect(treeKeyAction(rows, 'empty', 'ArrowRight')).toBeNull();
  });

  it('Enter and Space open a file or toggle a folder; F2 renames, Delete deletes', () => {
    expect(treeKeyAction(ROWS, 'main.py', 'Enter')).toEqual({ type: 'activate', path: 'main.py' });
    expect(treeKeyAction(ROWS, 'main.py', ' ')).toEqual({ type: 'activate', path: 'main.py' });
    expect(treeKeyAction(ROWS, 'lib', 'Enter')).toEqual({ type: 'collapse', path: 'lib' });
    expect(treeKeyAction(ROWS, 'lib/deep', 'Enter')).toEqual({ type: 'expand', path: 'lib/deep' });
    expect(treeKeyAction(ROWS, 'main.py', 'F2')).toEqual({ type: 'rename', path: 'main.py' });
    expect(treeKeyAction(ROWS, 'lib', 'Delete')).toEqual({ type: 'delete', path: 'lib' });
  });

  it('leaves other keys alone and starts from the first row when the focus is unknown', () => {
    expect(treeKeyAction(ROWS, 'main.py', 'a')).toBeNull();
    expect(treeKeyAction(ROWS, 'main.py', 'Tab')).toBeNull();
    expect(treeKeyAction(ROWS, null, 'ArrowDown')).toEqual({ type: 'focus', path: 'lib/deep' });
    expect(treeKeyAction([], null, 'ArrowDown')).toBeNull();
  });

  it('puts one row in the Tab order: the focused one, else the active file, else the first', () => {
    expect(tabStop(ROWS, 'lib/util.py', 'main.py')).toBe('lib/util.py');
    expect(tabStop(ROWS, 'gone.py', 'main.py')).toBe('main.py');
    expect(tabStop(ROWS, null, 'lib/deep/a.txt')).toBe('lib');
    expect(tabStop([], null, null)).toBeNull();
  });
});
