/** The REST API of cloudrun-server, with the session token kept in localStorage. */
import type { Entry, LanguageInfo } from './paths';

const TOKEN_KEY = 'cloudrun.token';

export interface User {
  id: string;
  username: string;
  email: string | null;
  guest: boolean;
}

export interface Project {
  id: string;
  name: string;
  language: string | null;
  entry: string | null;
  updatedAt?: number;
}

export interface ProjectWithFiles extends Project {
  files: Entry[];
}

/** What an API key may do: `grade` (problems and submissions), `run` (POST /api/runs). */
export type ApiKeyScope = 'grade' | 'run';

/** An API key as listed: never its secret. Times are epoch milliseconds. */
export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A key just made: the only answer that holds its token and signing secret. */
export interface CreatedApiKey extends ApiKey {
  key: string;
  signingSecret: string;
}

/** One run of a project's history, as `GET /api/runs` lists it. Times are epoch milliseconds. */
export interface RunSummary {
  id: string;
  projectId?: string;
  language: string;
  entryPath?: string;
  via: string;
  /** The SDK's status, or `RUNNING` while it runs. */
  status: string;
  exitCode?: number;
  wallTimeMs?: number;
  memoryBytes?: number;
  message?: string;
  startedAtMillis: number;
  finishedAtMillis?: number;
}

/** A piece of a run's kept output, from one stream. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr' | 'compiler' | 'install';
  data: string;
}

/** The output the server kept of one run (`GET /api/runs/{id}/output`). */
export interface KeptOutput {
  runId: string;
  status: string;
  /** False when none is kept (the run is going, the server keeps none, or newer runs pushed it out). */
  kept: boolean;
  /** Output past the server's cap was dropped. */
  truncated: boolean;
  chunks: OutputChunk[];
}

/** An error the server answered with: {"error": {"code", "message", "field"?}}. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

export class Api {
  /** Called when the server says the token is no longer valid (expired, or the account is gone). */
  onSessionExpired: () => void = () => {};

  get token(): string | null {
    return localStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  }

  private async request(method: string, path: string, body?: BodyInit | object): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array || body instanceof Blob || body instanceof ArrayBuffer) {
      headers['Content-Type'] = 'application/octet-stream';
      payload = body as BodyInit;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: payload });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the CloudRun server. Is it running?');
    }
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = `The server answered ${response.status} ${response.statusText}`;
      let field: string | undefined;
      try {
        const error = (await response.json())?.error;
        if (error) {
          code = error.code ?? code;
          message = error.message ?? message;
          field = error.field ?? undefined;
        }
      } catch {
        // Not JSON: keep the HTTP status as the message.
      }
      if (response.status === 429) {
        const retry = response.headers.get('Retry-After');
        if (retry) message += ` (try again in ${retry} s)`;
      }
      if (response.status === 401 && this.token && !path.startsWith('/api/auth/login')) {
        this.onSessionExpired();
      }
      throw new ApiError(response.status, code, message, field);
    }
    return response;
  }

  private async json<T>(method: string, path: string, body?: object): Promise<T> {
    const response = await this.request(method, path, body);
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  private static fileUrl(projectId: string, path: string): string {
    return `/api/projects/${encodeURIComponent(projectId)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  async register(username: string, email: string, password: string): Promise<User> {
    return this.signIn(await this.json('POST', '/api/auth/register', { username, email, password }));
  }

  async login(login: string, password: string): Promise<User> {
    return this.signIn(await this.json('POST', '/api/auth/login', { login, password }));
  }

  async guest(): Promise<User> {
    return this.signIn(await this.json('POST', '/api/auth/guest', {}));
  }

  private signIn(session: { token: string; user: User }): User {
    this.token = session.token;
    return session.user;
  }

  /** Replaces the kept token by a new one with a full lifetime (the current one must still be valid). */
  async refresh(): Promise<User> {
    return this.signIn(await this.json('POST', '/api/auth/refresh', {}));
  }

  async me(): Promise<User> {
    return (await this.json<{ user: User }>('GET', '/api/auth/me')).user;
  }

  /** Signs out: forgets the token and has the server revoke it, so that a copy of it stops working too. */
  logout(): void {
    const token = this.token;
    this.token = null;
    // Not through request(): a 401 here (the token had expired anyway) must not report the session expired again.
    if (token) void fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
  }

  async languages(): Promise<LanguageInfo[]> {
    const body = await this.json<{ languages?: unknown[] } | unknown[]>('GET', '/api/languages');
    const list = (Array.isArray(body) ? body : (body.languages ?? [])) as Array<Record<string, unknown>>;
    return list.map((raw) => ({
      id: String(raw.id),
      displayName: String(raw.displayName ?? raw.name ?? raw.id),
      extensions: Array.isArray(raw.extensions) ? raw.extensions.map(String) : [],
      monacoLanguage: String(raw.monacoLanguage ?? raw.monaco ?? raw.monacoId ?? 'plaintext'),
      sourceFile: String(raw.sourceFile ?? raw.mainFile ?? 'main.txt'),
      template: String(raw.template ?? ''),
      previewOnly: raw.previewOnly === true,
    }));
  }

  async projects(): Promise<Project[]> {
    return (await this.json<{ projects: Project[] }>('GET', '/api/projects')).projects;
  }

  async createProject(name: string, language: string, entry: string, files: Record<string, string>): Promise<ProjectWithFiles> {
    return this.json('POST', '/api/projects', { name, language, entry, files });
  }

  async project(id: string): Promise<ProjectWithFiles> {
    return this.json('GET', `/api/projects/${encodeURIComponent(id)}`);
  }

  async updateProject(id: string, changes: { name?: string; language?: string; entry?: string }): Promise<Project> {
    return this.json('PATCH', `/api/projects/${encodeURIComponent(id)}`, changes);
  }

  async deleteProject(id: string): Promise<void> {
    await this.request('DELETE', `/api/projects/${encodeURIComponent(id)}`);
  }

  async readFile(projectId: string, path: string): Promise<Uint8Array> {
    const response = await this.request('GET', Api.fileUrl(projectId, path));
    return new Uint8Array(await response.arrayBuffer());
  }

  async writeFile(projectId: string, path: string, content: Uint8Array | string): Promise<void> {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    await this.request('PUT', Api.fileUrl(projectId, path), bytes);
  }

  async deleteEntry(projectId: string, path: string): Promise<void> {
    await this.request('DELETE', Api.fileUrl(projectId, path));
  }

  async createFolder(projectId: string, path: string): Promise<void> {
    await this.json('POST', `/api/projects/${encodeURIComponent(projectId)}/folders`, { path });
  }

  async move(projectId: string, from: string, to: string): Promise<void> {
    await this.json('POST', `/api/projects/${encodeURIComponent(projectId)}/move`, { from, to });
  }

  /** The signed-in user's live API keys, oldest first. */
  async apiKeys(): Promise<ApiKey[]> {
    return (await this.json<{ keys: ApiKey[] }>('GET', '/api/keys')).keys;
  }

  async createApiKey(name: string, scopes: ApiKeyScope[]): Promise<CreatedApiKey> {
    return this.json('POST', '/api/keys', { name, scopes });
  }

  async revokeApiKey(id: string): Promise<void> {
    await this.request('DELETE', `/api/keys/${encodeURIComponent(id)}`);
  }

  /** A project's runs, newest first. */
  async runs(projectId: string, limit = 20): Promise<RunSummary[]> {
    return (await this.json<{ runs: RunSummary[] }>('GET', `/api/runs?projectId=${encodeURIComponent(projectId)}&limit=${limit}`)).runs;
  }

  async runOutput(runId: string): Promise<KeptOutput> {
    return this.json('GET', `/api/runs/${encodeURIComponent(runId)}/output`);
  }

  /** The run WebSocket's URL on this server. */
  static runSocketUrl(): string {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/run`;
  }

  /** The terminal WebSocket's URL for a project's shell on this server. */
  static terminalSocketUrl(projectId: string): string {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/terminal/${encodeURIComponent(projectId)}`;
  }
}
