/**
 * The ids of a project's open shells, kept in the tab's `sessionStorage` so that a reload of the IDE
 * re-attaches to the same shells (the server keeps a shell whose socket dropped for
 * `CLOUDRUN_TERMINAL_REATTACH_SECONDS`). Closing the browser tab forgets them, as it forgets the page.
 */

/** What the store needs of a `Storage` (the window's `sessionStorage`, or a test's map). */
export type ShellIdStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const KEY_PREFIX = 'cloudrun.shells.';
/** More than the server lets a user have, so nothing the server would keep is forgotten. */
const MAX_IDS = 16;

export class ShellStore {
  constructor(private readonly storage: ShellIdStorage | null) {}

  /** @returns the ids kept for the project, oldest shell first (none when the storage is unusable or holds junk). */
  load(projectId: string): string[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(KEY_PREFIX + projectId) ?? '[]');
      if (!Array.isArray(parsed)) return [];
      return parsed.filter((id): id is string => typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id)).slice(0, MAX_IDS);
    } catch {
      return [];
    }
  }

  /** Keeps these ids for the project (none: forgets the project's entry). */
  save(projectId: string, ids: string[]): void {
    try {
      if (ids.length === 0) this.storage?.removeItem(KEY_PREFIX + projectId);
      else this.storage?.setItem(KEY_PREFIX + projectId, JSON.stringify(ids.slice(0, MAX_IDS)));
    } catch {
      // Storage full or refused (a private window): the shells simply do not survive a reload.
    }
  }
}

/** The window's `sessionStorage`, or null where the browser refuses it. */
export function sessionShellStorage(): ShellIdStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
