/** What the views share: the language list, the open project and its files. */
import type { Api, ProjectWithFiles } from '../api';
import { languageOfFile, type Entry, type LanguageInfo } from '../paths';

export class Workspace {
  languages: LanguageInfo[] = [];
  project: ProjectWithFiles | null = null;
  /** The open project's files and folders, as the server last listed them. */
  entries: Entry[] = [];

  /** `treeChanged` runs after the file list was reloaded from the server. */
  constructor(private readonly api: Pick<Api, 'project'>, private readonly treeChanged: () => void) {}

  open(project: ProjectWithFiles): void {
    this.project = project;
    this.entries = project.files;
  }

  close(): void {
    this.project = null;
    this.entries = [];
  }

  /** Fetches the open project (and its file list) again. */
  async reloadTree(): Promise<void> {
    if (!this.project) return;
    this.open(await this.api.project(this.project.id));
    this.treeChanged();
  }

  /** The file to open with the project: its entry when that exists, else its first file. */
  initialFile(): string | undefined {
    const entry = this.project?.entry;
    return entry && this.hasEntry(entry) ? entry : this.entries.find((file) => file.kind === 'file')?.path;
  }

  hasEntry(path: string): boolean {
    return this.entries.some((entry) => entry.path === path);
  }

  languageInfo(id: string | null | undefined): LanguageInfo | undefined {
    return this.languages.find((language) => language.id === id);
  }

  languageOfFile(path: string): LanguageInfo | undefined {
    return languageOfFile(path, this.languages);
  }

  /** Whether the open project is shown in the preview rather than run (HTML). */
  isHtmlProject(): boolean {
    return this.languageInfo(this.project?.language)?.previewOnly === true;
  }
}
