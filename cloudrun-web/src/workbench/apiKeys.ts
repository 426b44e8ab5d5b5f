/**
 * The API keys dialog: a signed-in user lists, makes and revokes the keys that machine clients (an
 * LMS, a contest system) send instead of a session. A new key's token and signing secret are shown
 * once, right after it is made; the server keeps only a hash of the token.
 */
import type { Api, ApiKey, ApiKeyScope, CreatedApiKey, User } from '../api';
import { ApiError } from '../api';
import { h, openModal } from '../dom';
import { type Dialogs, domDialogs, reportError } from './dialogs';

export type ApiKeysApi = Pick<Api, 'apiKeys' | 'createApiKey' | 'revokeApiKey'>;

/** The scopes a key may have, in the order the dialog shows them. */
export const SCOPES: ReadonlyArray<{ id: ApiKeyScope; description: string }> = [
  { id: 'grade', description: 'problems and submissions (grading)' },
  { id: 'run', description: 'single runs (POST /api/runs)' },
];

/** The server's limit on a key's name. */
export const MAX_NAME_CHARS = 100;

/** What is wrong with a new key's form, or null when it can be sent. */
export function newKeyProblem(name: string, scopes: readonly ApiKeyScope[]): string | null {
  const label = name.trim();
  if (!label) return 'Please name the key, for example after the system that will use it.';
  if (label.length > MAX_NAME_CHARS) return `A key's name has at most ${MAX_NAME_CHARS} characters.`;
  if (scopes.length === 0) return 'Choose at least one scope.';
  return null;
}

/** The body of POST /api/keys: the trimmed name and the scopes in the dialog's order, each once. */
export function newKeyRequest(name: string, scopes: readonly ApiKeyScope[]): { name: string; scopes: ApiKeyScope[] } {
  return { name: name.trim(), scopes: SCOPES.map((scope) => scope.id).filter((id) => scopes.includes(id)) };
}

/** A key's scopes for the list: "grade, run". */
export function formatScopes(scopes: readonly string[]): string {
  const order = SCOPES.map((scope) => scope.id as string);
  const rank = (scope: string) => (order.includes(scope) ? order.indexOf(scope) : order.length);
  return [...scopes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(', ') || '–';
}

/** A moment for the list: "never", "just now", "5 min ago", "3 h ago", then the local date (2025-03-07). */
export function formatWhen(millis: number | null, now: number): string {
  if (millis === null) return 'never';
  const seconds = (now - millis) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const date = new Date(millis);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

export interface ApiKeysOptions {
  /** Puts text on the clipboard (the browser's clipboard unless a test gives another). */
  copy?: (text: string) => Promise<void>;
  now?: () => number;
}

/** The dialog's content; `load` fetches the list (nothing for a guest, who cannot have keys). */
export class ApiKeysView {
  readonly element: HTMLElement;
  private keys: ApiKey[] = [];
  private readonly list = h('div', { class: 'api-key-list' });
  private readonly reveal = h('div', { class: 'api-key-reveal', hidden: true });
  private readonly problem = h('div', { class: 'form-error', role: 'alert' });
  private readonly nameInput = h('input', { class: 'input', name: 'api-key-name', maxlength: MAX_NAME_CHARS,
    placeholder: 'Moodle', autocomplete: 'off', spellcheck: 'false' });
  private readonly scopeBoxes = SCOPES.map((scope) => h('input', { type: 'checkbox', name: 'api-key-scope', value: scope.id,
    checked: scope.id === 'grade' }));
  private readonly submit = h('button', { class: 'button primary', type: 'submit', text: 'Make key' });
  private readonly copy: (text: string) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly api: ApiKeysApi, private readonly dialogs: Dialogs, private readonly user: User, options: ApiKeysOptions = {}) {
    this.copy = options.copy ?? ((text) => navigator.clipboard.writeText(text));
    this.now = options.now ?? (() => Date.now());
    this.element = user.guest ? this.guestContent() : this.content();
  }

  private guestContent(): HTMLElement {
    return h('div', { class: 'api-keys' },
      h('p', { class: 'hint', text: 'API keys let other systems, such as an LMS or a contest system, run and grade code as you.' }),
      h('p', { class: 'form-notice', text: 'Guests cannot make API keys: create an account first (the user menu has '
        + '"Create an account", which keeps your projects).' }));
  }

  private content(): HTMLElement {
    const form = h('form', { class: 'api-key-form', novalidate: true },
      h('div', { class: 'sidebar-subtitle', text: 'New key' }),
      h('label', { class: 'field' }, h('span', { text: 'Name' }), this.nameInput),
      h('fieldset', { class: 'api-key-scopes' }, h('legend', { text: 'Scopes' }),
        ...SCOPES.map((scope, index) => h('label', { class: 'checkbox' }, this.scopeBoxes[index],
          h('code', { text: scope.id }), h('span', { class: 'hint', text: scope.description })))),
      this.problem,
      h('div', { class: 'modal-actions' }, this.submit));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    return h('div', { class: 'api-keys' },
      h('p', { class: 'hint', text: 'Other systems, such as an LMS or a contest system, send a key as '
        + '"Authorization: Bearer cr_…" to run and grade code as you. A key works until you revoke it.' }),
      this.list, this.reveal, form);
  }

  async load(): Promise<void> {
    if (this.user.guest) return;
    this.keys = await this.api.apiKeys();
    this.renderList();
  }

  private renderList(): void {
    if (this.keys.length === 0) {
      this.list.replaceChildren(h('p', { class: 'empty', text: 'No API keys yet.' }));
      return;
    }
    const now = this.now();
    const when = (millis: number | null) => h('td', { text: formatWhen(millis, now),
      title: millis === null ? undefined : new Date(millis).toLocaleString() });
    this.list.replaceChildren(h('table', { class: 'api-key-table' },
      h('thead', {}, h('tr', {}, ...['Name', 'Scopes', 'Key', 'Created', 'Last used', ''].map((title) => h('th', { text: title })))),
      h('tbody', {}, ...this.keys.map((key) => h('tr', { class: 'api-key-row', 'data-key-id': key.id },
        h('td', { class: 'api-key-name', text: key.name }),
        h('td', { class: 'api-key-scopes-cell', text: formatScopes(key.scopes) }),
        h('td', {}, h('code', { class: 'api-key-prefix', text: `${key.prefix}_…` })),
        when(key.createdAt),
        when(key.lastUsedAt),
        h('td', {}, h('button', { class: 'button secondary small', type: 'button', text: 'Revoke', 'aria-label': `Revoke ${key.name}`,
          onclick: () => void this.revoke(key) })))))));
  }

  /** Sends the form; on success shows the new key's secrets once and lists the key. */
  async create(): Promise<void> {
    const scopes = SCOPES.filter((_, index) => this.scopeBoxes[index].checked).map((scope) => scope.id);
    const problem = newKeyProblem(this.nameInput.value, scopes);
    this.problem.textContent = problem ?? '';
    if (problem) return;
    const request = newKeyRequest(this.nameInput.value, scopes);
    this.submit.disabled = true;
    try {
      const created = await this.api.createApiKey(request.name, request.scopes);
      this.nameInput.value = '';
      this.showOnce(created);
      await this.load();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status !== 401) this.problem.textContent = failure.message;
      else reportError(this.dialogs, failure);
    } finally {
      this.submit.disabled = false;
    }
  }

  private showOnce(created: CreatedApiKey): void {
    this.reveal.replaceChildren(
      h('p', { class: 'form-notice', role: 'status', text: `Copy the key "${created.name}" and its signing secret now: `
        + 'you will not see them again. CloudRun keeps only a hash of the key.' }),
      this.secretField('API key', created.key, 'api-key-token'),
      this.secretField('Signing secret (checks the callbacks CloudRun sends)', created.signingSecret, 'api-key-signing-secret'),
      h('div', { class: 'modal-actions' }, h('button', { class: 'button secondary', type: 'button', text: 'I have saved them',
        onclick: () => this.hideSecrets() })));
    this.reveal.hidden = false;
  }

  /** Forgets the shown secrets: they leave the page, not only the screen. */
  hideSecrets(): void {
    this.reveal.replaceChildren();
    this.reveal.hidden = true;
  }

  private secretField(label: string, value: string, name: string): HTMLElement {
    const input = h('input', { class: 'input secret', name, readonly: true, spellcheck: 'false', 'aria-label': label });
    input.value = value;
    const copy = async () => {
      try {
        await this.copy(value);
        this.dialogs.toast(`${label.split(' (')[0]} copied`);
      } catch {
        input.select();
        this.dialogs.toast('The browser would not copy: the text is selected, press Ctrl+C.', 'error');
      }
    };
    return h('label', { class: 'field' }, h('span', { text: label }),
      h('div', { class: 'secret-row' }, input,
        h('button', { class: 'button secondary', type: 'button', text: 'Copy', 'aria-label': `Copy ${label.split(' (')[0]}`,
          onclick: () => void copy() })));
  }

  /** Revokes a key once the user confirms: clients using it are refused at once. */
  async revoke(key: ApiKey): Promise<void> {
    if (!await this.dialogs.confirm('Revoke API key', `Revoke "${key.name}" (${key.prefix})? Systems that use it are refused `
      + 'from now on. This cannot be undone.', 'Revoke')) return;
    try {
      await this.api.revokeApiKey(key.id);
      this.dialogs.toast(`Revoked "${key.name}"`);
    } catch (failure) {
      reportError(this.dialogs, failure);
    }
    await this.load().catch((failure: unknown) => reportError(this.dialogs, failure));
  }
}

/** Opens the dialog over the workbench. */
export function showApiKeys(api: ApiKeysApi, user: User, dialogs: Dialogs = domDialogs): void {
  const view = new ApiKeysView(api, dialogs, user);
  const close = () => {
    view.hideSecrets();
    dismiss();
  };
  const overlay = h('div', { class: 'modal-backdrop' },
    h('div', { class: 'modal api-keys-dialog', role: 'dialog', 'aria-label': 'API keys' },
      h('h2', { text: 'API keys' }),
      view.element,
      h('div', { class: 'modal-actions' }, h('button', { class: 'button secondary', type: 'button', text: 'Close', onclick: close }))));
  const dismiss = openModal(overlay, close);
  overlay.querySelector<HTMLElement>('.modal-actions button')?.focus();
  view.load().catch((failure: unknown) => reportError(dialogs, failure));
}
