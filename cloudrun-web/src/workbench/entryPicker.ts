/** The title bar's "entry" selector: the file Run starts, whichever tab is active, saved with the project. */
import type { Project } from '../api';
import { clear, h } from '../dom';
import { languageOfFile, type Entry, type LanguageInfo } from '../paths';

export interface EntryPickerHost {
  project(): Project | null;
  entries(): Entry[];
  languages(): LanguageInfo[];
  /** Makes `path` the project's entry file on the server. */
  setEntry(path: string): Promise<void>;
  reportError(problem: unknown): void;
}

/** The files a run can start from: those of a language CloudRun runs (an HTML page is previewed, not run). */
export function entryCandidates(entries: Entry[], languages: LanguageInfo[]): string[] {
  return entries
    .filter((entry) => entry.kind === 'file')
    .filter((entry) => {
      const language = languageOfFile(entry.path, languages);
      return language !== undefined && !language.previewOnly;
    })
    .map((entry) => entry.path)
    .sort((left, right) => left.localeCompare(right));
}

export class EntryPicker {
  private readonly select = h('select', { class: 'select entry-select', 'aria-label': 'Entry file (what Run runs)', 'data-testid': 'entry-select' });
  readonly element = h('label', { class: 'entry-picker', title: 'The file Run runs' }, h('span', { class: 'entry-label', text: 'entry:' }), this.select);

  constructor(private readonly host: EntryPickerHost) {
    this.select.addEventListener('change', () => void this.choose(this.select.value));
    this.render();
  }

  /** Lists the project's runnable files again, the entry selected; hidden when there is nothing to choose from. */
  render(): void {
    const project = this.host.project();
    const candidates = project ? entryCandidates(this.host.entries(), this.host.languages()) : [];
    const entry = project?.entry ?? null;
    clear(this.select);
    if (entry && !candidates.includes(entry)) {
      // The entry is gone (deleted outside the IDE) or not runnable: say so rather than pretend another file is it.
      this.select.appendChild(h('option', { value: entry, text: `${entry} (missing)`, disabled: true }));
    }
    for (const path of candidates) this.select.appendChild(h('option', { value: path, text: path }));
    if (entry) this.select.value = entry;
    this.element.hidden = candidates.length === 0;
  }

  private async choose(path: string): Promise<void> {
    const project = this.host.project();
    if (!project || path === project.entry) return;
    try {
      await this.host.setEntry(path);
    } catch (problem) {
      this.host.reportError(problem);
    }
    this.render();
  }
}
