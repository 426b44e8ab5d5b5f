/** The Projects side bar: the person's projects, a form to create one, rename and delete. */
import { ApiError, type Api, type Project } from '../api';
import { h, icon } from '../dom';
import { languageOfFile, type Entry, type LanguageInfo } from '../paths';
import { guard, type Dialogs } from './dialogs';

export type ProjectsApi = Pick<Api, 'projects' | 'createProject' | 'updateProject' | 'deleteProject'>;

export interface ProjectsHost {
  languages(): LanguageInfo[];
  currentProjectId(): string | null;
  /** Opens a project in the workbench. */
  open(id: string): Promise<void>;
  /** A new project was created and opened: show its files. */
  created(): void;
  renamed(id: string, name: string): void;
  deleted(id: string): void;
  /** The list changed: draw the side bar again. */
  changed(): void;
}

const HTML_STYLE = 'body {\n  font-family: system-ui, sans-serif;\n  margin: 2rem;\n}\n\nh1 {\n  color: #0e7ad3;\n}\n';
const HTML_SCRIPT = "const note = document.createElement('p');\nnote.textContent = 'JavaScript says hello at ' + new Date().toLocaleTimeString();\ndocument.body.appendChild(note);\n";

/** The files a new project of `language` starts with: its template, plus a stylesheet and a script for HTML. */
export function starterFiles(language: LanguageInfo): Record<string, string> {
  const files: Record<string, string> = { [language.sourceFile]: language.template };
  if (language.id === 'html') {
    files['style.css'] = HTML_STYLE;
    files['script.js'] = HTML_SCRIPT;
  }
  return files;
}

/**
 * What switching a project to `languageId` takes: the files stay; the new language's starter file
 * is added when the project has no file of it, and the entry becomes a file of that language.
 */
export function languageSwitch(entries: Entry[], languages: LanguageInfo[], languageId: string, currentEntry: string | null):
    { starter: { path: string; text: string } | null; entry: string | undefined } {
  const info = languages.find((option) => option.id === languageId);
  const entry = currentEntry ?? undefined;
  if (!info) return { starter: null, entry };
  const existing = entries.find((file) => languageOfFile(file.path, languages)?.id === info.id);
  if (!existing) return { starter: { path: info.sourceFile, text: info.template }, entry: info.sourceFile };
  return { starter: null, entry: existing.path };
}

export class ProjectsView {
  private list: Project[] = [];

  constructor(private readonly api: ProjectsApi, private readonly dialogs: Dialogs, private readonly host: ProjectsHost) {}

  get projects(): readonly Project[] {
    return this.list;
  }

  /** Fetches the person's projects. */
  async load(): Promise<Project[]> {
    this.list = await this.api.projects();
    return this.list;
  }

  render(container: HTMLElement): void {
    const languages = this.host.languages();
    const name = h('input', { class: 'input', name: 'project-name', placeholder: 'Project name', 'aria-label': 'Project name' });
    const language = h('select', { class: 'select', name: 'project-language', 'aria-label': 'Project language' });
    for (const option of languages) language.appendChild(h('option', { value: option.id, text: option.displayName }));
    const error = h('div', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'new-project' },
      h('div', { class: 'sidebar-subtitle', text: 'New project' }), name, language, error,
      h('button', { class: 'button primary wide', type: 'submit', text: 'Create project' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create(name.value.trim(), language.value, error);
    });
    const list = h('ul', { class: 'project-list', role: 'list' });
    const current = this.host.currentProjectId();
    for (const project of this.list) {
      const languageName = languages.find((option) => option.id === project.language)?.displayName ?? project.language ?? '';
      list.appendChild(h('li', { class: `project-item${project.id === current ? ' active' : ''}` },
        h('button', { class: 'project-open', type: 'button', 'data-project': project.name, title: project.name, onclick: () => void this.host.open(project.id) },
          icon('projects'), h('span', { class: 'project-text' },
            h('span', { class: 'project-name', text: project.name }), h('span', { class: 'project-language', text: languageName }))),
        h('button', { class: 'icon-button', type: 'button', title: 'Rename project', 'aria-label': `Rename project ${project.name}`,
          onclick: () => void this.rename(project) }, icon('rename')),
        h('button', { class: 'icon-button', type: 'button', title: 'Delete project', 'aria-label': `Delete project ${project.name}`,
          onclick: () => void this.delete(project) }, icon('trash'))));
    }
    if (this.list.length === 0) list.appendChild(h('li', { class: 'empty', text: 'No projects yet. Create one above.' }));
    container.append(h('div', { class: 'sidebar-title', text: 'Projects' }), form, list);
    if (this.list.length === 0) name.focus();
  }

  /** Creates a project from the language's starter files and opens it; problems go to `error`. */
  async create(name: string, languageId: string, error: HTMLElement): Promise<void> {
    const language = this.host.languages().find((option) => option.id === languageId);
    if (!name) { error.textContent = 'Please give the project a name.'; return; }
    if (!language) { error.textContent = 'Please pick a language.'; return; }
    try {
      const project = await this.api.createProject(name, language.id, language.sourceFile, starterFiles(language));
      await this.load();
      await this.host.open(project.id);
      this.host.created();
    } catch (problem) {
      error.textContent = problem instanceof ApiError ? problem.message : String(problem);
    }
  }

  async rename(project: Project): Promise<void> {
    const name = await this.dialogs.askText('Rename project', 'New name', project.name);
    if (!name || name === project.name) return;
    await guard(this.dialogs, async () => {
      await this.api.updateProject(project.id, { name });
      await this.load();
      this.host.renamed(project.id, name);
      this.host.changed();
    });
  }

  async delete(project: Project): Promise<void> {
    if (!await this.dialogs.confirm('Delete project', `Delete "${project.name}" and all its files? This cannot be undone.`, 'Delete')) return;
    await guard(this.dialogs, async () => {
      await this.api.deleteProject(project.id);
      await this.load();
      this.host.deleted(project.id);
      this.host.changed();
    });
  }
}
