/**
 * What a shell's `files_changed` messages do to the workbench: the explorer's list is fetched again and
 * the open tabs of the changed files reload. Messages that come while a refresh is going on are merged
 * into one more refresh, so a shell that writes files all the time costs a refresh at a time, not one
 * per message.
 */

export interface ChangedFilesTarget {
  /** Fetches the project's file list again (the explorer redraws). */
  reloadTree(): Promise<void>;
  /** Reloads the open tabs of `paths` (null: all); returns the paths whose tabs kept unsaved edits. */
  reloadTabs(paths: string[] | null): Promise<string[]>;
  /** Files changed in the shell while their tabs have unsaved edits (the status bar says so). */
  keptEdits(paths: string[]): void;
}

export class ChangedFilesRefresher {
  /** What changed since the last refresh started: paths, or null for "anything"; undefined when nothing. */
  private pending: Set<string> | null | undefined = undefined;
  private running: Promise<void> | null = null;

  constructor(private readonly target: ChangedFilesTarget) {}

  changed(paths: readonly string[] | null): void {
    if (paths === null || this.pending === null) {
      this.pending = null;
    } else {
      this.pending ??= new Set();
      for (const path of paths) this.pending.add(path);
    }
    this.running ??= this.drain().finally(() => { this.running = null; });
  }

  /** Resolves when no refresh is going on. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined) {
      const paths = this.pending === null ? null : [...this.pending];
      this.pending = undefined;
      try {
        await this.target.reloadTree();
        const kept = await this.target.reloadTabs(paths);
        if (kept.length > 0) this.target.keptEdits(kept);
      } catch {
        // The server is away: the next change, or the explorer's Refresh, catches up.
      }
    }
  }
}
