/** Fakes the views' unit tests share: dialogs that answer from a script, languages, an in-memory project store. */
import type { Project, ProjectWithFiles } from '../api';
import type { Entry, LanguageInfo } from '../paths';
import type { Dialogs } from './dialogs';
import type { CodeEditor, ModelFactory, TextModel } from './editorTabs';

export const LANGUAGES: LanguageInfo[] = [
  { id: 'python', displayName: 'Python 3', extensions: ['.py'], monacoLanguage: 'python', sourceFile: 'main.py', template: 'print("hi")\n', previewOnly: false },
  { id: 'javascript', displayName: 'JavaScript', extensions: ['.js'], monacoLanguage: 'javascript', sourceFile: 'main.js', template: 'console.log(1)\n', previewOnly: false },
  { id: 'html', displayName: 'HTML', extensions: ['.html', '.htm'], monacoLanguage: 'html', sourceFile: 'index.html', template: '<h1>Hi</h1>\n', previewOnly: true },
];

/** Dialogs whose answers a test queues; every toast is kept. */
export class FakeDialogs implements Dialogs {
  readonly answers: Array<string | null> = [];
  readonly confirms: boolean[] = [];
  readonly toasts: Array<{ message: string; tone: string }> = [];
  readonly asked: Array<{ title: string; validate?: (value: string) => string | null }> = [];

  async askText(title: string, _label: string, _initial?: string, validate?: (value: string) => string | null): Promise<string | null> {
    this.asked.push({ title, validate });
    return this.answers.shift() ?? null;
  }

  async confirm(): Promise<boolean> {
    return this.confirms.shift() ?? false;
  }

  toast(message: string, tone: 'info' | 'error' = 'info'): void {
    this.toasts.push({ message, tone });
  }
}

const encoder = new TextEncoder();

/** The server's projects and files, in memory, with every call recorded. */
export class FakeServer {
  readonly calls: string[] = [];
  readonly files = new Map<string, Uint8Array>();
  projectList: Project[] = [];
  private nextId = 1;

  constructor(readonly projectId = 'p1', readonly entry: string | null = 'main.py', readonly language: string | null = 'python') {}

  addFile(path: string, content: string | Uint8Array): void {
    this.files.set(path, typeof content === 'string' ? encoder.encode(content) : content);
  }

  entries(): Entry[] {
    const folders = new Set<string>();
    for (const path of this.files.keys()) {
      const parts = path.split('/');
      for (let index = 1; index < parts.length; index++) folders.add(parts.slice(0, index).join('/'));
    }
    return [...[...folders].map((path): Entry => ({ path, kind: 'folder', sizeBytes: 0 })),
      ...[...this.files].map(([path, bytes]): Entry => ({ path, kind: 'file', sizeBytes: bytes.length }))];
  }

  snapshot(): ProjectWithFiles {
    return { id: this.projectId, name: 'Demo', language: this.language, entry: this.entry, files: this.entries() };
  }

  async project(id: string): Promise<ProjectWithFiles> {
    this.calls.push(`project ${id}`);
    return this.snapshot();
  }

  async projects(): Promise<Project[]> {
    this.calls.push('projects');
    return this.projectList.map((project) => ({ ...project }));
  }

  async createProject(name: string, language: string, entry: string, files: Record<string, string>): Promise<ProjectWithFiles> {
    this.calls.push(`create ${name} ${language} ${entry} ${Object.keys(files).join(',')}`);
    const project = { id: `new${this.nextId++}`, name, language, entry };
    this.projectList.push(project);
    return { ...project, files: [] };
  }

  async updateProject(id: string, changes: { name?: string; language?: string; entry?: string }): Promise<Project> {
    this.calls.push(`update ${id} ${JSON.stringify(changes)}`);
    const project = this.projectList.find((candidate) => candidate.id === id);
    if (project && changes.name) project.name = changes.name;
    return { id, name: project?.name ?? 'Demo', language: changes.language ?? this.language, entry: changes.entry ?? this.entry };
  }

  async deleteProject(id: string): Promise<void> {
    this.calls.push(`delete project ${id}`);
    this.projectList = this.projectList.filter((project) => project.id !== id);
  }

  async readFile(_projectId: string, path: string): Promise<Uint8Array> {
    this.calls.push(`read ${path}`);
    const bytes = this.files.get(path);
    if (!bytes) throw new Error(`no file ${path}`);
    return bytes;
  }

  async writeFile(_projectId: string, path: string, content: Uint8Array | string): Promise<void> {
    this.calls.push(`write ${path}`);
    this.addFile(path, content);
  }

  async createFolder(_projectId: string, path: string): Promise<void> {
    this.calls.push(`folder ${path}`);
  }

  async move(_projectId: string, from: string, to: string): Promise<void> {
    this.calls.push(`move ${from} ${to}`);
    for (const [path, bytes] of [...this.files]) {
      if (path === from || path.startsWith(`${from}/`)) {
        this.files.delete(path);
        this.files.set(to + path.slice(from.length), bytes);
      }
    }
  }

  async deleteEntry(_projectId: string, path: string): Promise<void> {
    this.calls.push(`delete ${path}`);
    for (const existing of [...this.files.keys()]) if (existing === path || existing.startsWith(`${path}/`)) this.files.delete(existing);
  }
}

/** A text model whose version goes up with each edit, like Monaco's alternative version id. */
export class FakeModel implements TextModel {
  disposed = false;
  private version = 1;

  constructor(private text: string, readonly language: string, readonly uriPath: string) {}

  getValue(): string {
    return this.text;
  }

  getAlternativeVersionId(): number {
    return this.version;
  }

  type(text: string): void {
    this.text = text;
    this.version++;
  }

  setValue(text: string): void {
    this.type(text);
  }

  dispose(): void {
    this.disposed = true;
  }
}

export class FakeModels implements ModelFactory {
  readonly created: FakeModel[] = [];

  async create(text: string, language: string, uriPath: string): Promise<TextModel> {
    const model = new FakeModel(text, language, uriPath);
    this.created.push(model);
    return model;
  }
}

export class FakeEditor implements CodeEditor {
  model: TextModel | null = null;
  focused = 0;
  restored: unknown[] = [];

  getModel(): TextModel | null {
    return this.model;
  }

  setModel(model: TextModel | null): void {
    this.model = model;
  }

  saveViewState(): unknown {
    return { of: (this.model as FakeModel | null)?.uriPath };
  }

  restoreViewState(state: unknown): void {
    this.restored.push(state);
  }

  focus(): void {
    this.focused++;
  }
}
