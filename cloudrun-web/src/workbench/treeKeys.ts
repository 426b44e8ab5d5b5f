/**
 * The keys of a tree view (the WAI-ARIA tree pattern): what an arrow, Home, End or Enter does to
 * the visible rows. Pure, so the explorer's keyboard rules are tested without a page.
 */

/** A visible row of the tree, top to bottom. */
export interface TreeRow {
  path: string;
  kind: 'file' | 'folder';
  /** Whether a folder shows its children (they follow it in the list). */
  expanded: boolean;
  /** The folder the row is in ('' at the top). */
  parent: string;
}

/** What a key does: move the focus, open or close a folder, open a file, or nothing. */
export type TreeAction =
  | { type: 'focus'; path: string }
  | { type: 'expand'; path: string }
  | { type: 'collapse'; path: string }
  | { type: 'activate'; path: string }
  | { type: 'rename'; path: string }
  | { type: 'delete'; path: string };

/**
 * The action of `key` with the focus on `current` (a path of `rows`; null or unknown means the first row).
 * Down/Up: next/previous row; Home/End: first/last; Right: opens a closed folder, enters an open one;
 * Left: closes an open folder, else goes to the parent folder; Enter and Space: open a file or toggle
 * a folder; F2: rename; Delete: delete. Null when the key is not the tree's.
 */
export function treeKeyAction(rows: readonly TreeRow[], current: string | null, key: string): TreeAction | null {
  if (rows.length === 0) return null;
  let index = rows.findIndex((row) => row.path === current);
  if (index < 0) index = 0;
  const row = rows[index];
  const focus = (target: number): TreeAction => ({ type: 'focus', path: rows[Math.max(0, Math.min(rows.length - 1, target))].path });
  switch (key) {
    case 'ArrowDown': return focus(index + 1);
    case 'ArrowUp': return focus(index - 1);
    case 'Home': return focus(0);
    case 'End': return focus(rows.length - 1);
    case 'ArrowRight':
      if (row.kind !== 'folder') return null;
      if (!row.expanded) return { type: 'expand', path: row.path };
      return rows[index + 1]?.parent === row.path ? focus(index + 1) : null;
    case 'ArrowLeft':
      if (row.kind === 'folder' && row.expanded) return { type: 'collapse', path: row.path };
      return row.parent ? { type: 'focus', path: row.parent } : null;
    case 'Enter':
    case ' ':
      if (row.kind === 'file') return { type: 'activate', path: row.path };
      return { type: row.expanded ? 'collapse' : 'expand', path: row.path };
    case 'F2': return { type: 'rename', path: row.path };
    case 'Delete': return { type: 'delete', path: row.path };
    default: return null;
  }
}

/** The row that takes part in Tab order: the focused one if still shown, else the active file's, else the first. */
export function tabStop(rows: readonly TreeRow[], focused: string | null, active: string | null): string | null {
  const shown = (path: string | null) => path !== null && rows.some((row) => row.path === path);
  if (shown(focused)) return focused;
  if (shown(active)) return active;
  return rows[0]?.path ?? null;
}
