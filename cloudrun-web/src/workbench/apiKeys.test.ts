// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type ApiKey, type ApiKeyScope, type CreatedApiKey, type User } from '../api';
import { ApiKeysView, formatScopes, formatWhen, newKeyProblem, newKeyRequest, type ApiKeysApi } from './apiKeys';
import { FakeDialogs } from './fakes';

const NOW = new Date(2025, 2, 7, 12, 0, 0).getTime();
const MINUTE = 60_000;

describe('API key formatting', () => {
  it('tells when, from never to a local date', () => {
    expect(formatWhen(null, NOW)).toBe('never');
    expect(formatWhen(NOW - 20_000, NOW)).toBe('just now');
    expect(formatWhen(NOW + 5_000, NOW)).toBe('just now');
    expect(formatWhen(NOW - 5 * MINUTE, NOW)).toBe('5 min ago');
    expect(formatWhen(NOW - 59 * MINUTE, NOW)).toBe('59 min ago');
    expect(formatWhen(NOW - 3 * 60 * MINUTE, NOW)).toBe('3 h ago');
    expect(formatWhen(new Date(2024, 11, 31, 23, 30).getTime(), NOW)).toBe('2024-12-31');
  });

  it('lists scopes in the dialog order, unknown ones last', () => {
    expect(formatScopes(['run', 'grade'])).toBe('grade, run');
    expect(formatScopes(['zeta', 'run'])).toBe('run, zeta');
    expect(formatScopes([])).toBe('–');
  });

  it('checks the form and builds the request body', () => {
    expect(newKeyProblem('  ', ['grade'])).toMatch(/name the key/);
    expect(newKeyProblem('x'.repeat(101), ['grade'])).toMatch(/at most 100/);
    expect(newKeyProblem('Moodle', [])).toMatch(/at least one scope/);
    expect(newKeyProblem(' Moodle ', ['run'])).toBeNull();
    expect(newKeyRequest('  Moodle ', ['run', 'grade', 'run'])).toEqual({ name: 'Moodle', scopes: ['grade', 'run'] });
  });
});

/** The server's /api/keys in memory, with every call recorded. */
class FakeKeys implements ApiKeysApi {
  readonly calls: string[] = [];
  keys: ApiKey[] = [];
  failCreate: ApiError | null = null;
  private next = 1;

  async apiKeys(): Promise<ApiKey[]> {
    this.calls.push('list');
    return this.keys.map((key) => ({ ...key }));
  }

  async createApiKey(name: string, scopes: ApiKeyScope[]): Promise<CreatedApiKey> {
    this.calls.push(`create ${JSON.stringify({ name, scopes })}`);
    if (this.failCreate) throw this.failCreate;
    const id = `id${this.next++}`;
    const key: ApiKey = { id, name, scopes, prefix: `cr_${id}`, createdAt: NOW, lastUsedAt: null };
    this.keys.push(key);
    return { ...key, key: `cr_${id}_SECRET${id}`, signingSecret: `whsec_SIGN${id}` };
  }

  async revokeApiKey(id: string): Promise<void> {
    this.calls.push(`revoke ${id}`);
    this.keys = this.keys.filter((key) => key.id !== id);
  }
}

const USER: User = { id: 'u1', username: 'ada', email: 'ada@example.com', guest: false };
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('API keys view', () => {
  let server: FakeKeys;
  let dialogs: FakeDialogs;
  let copied: string[];
  let view: ApiKeysView;
  const $ = <T extends Element>(selector: string) => view.element.querySelector<T>(selector);
  const rows = () => [...view.element.querySelectorAll('.api-key-row')].map((row) =>
    [...row.querySelectorAll('td')].slice(0, 5).map((cell) => cell.textContent));
  const fill = (name: string, scopes: ApiKeyScope[]) => {
    $<HTMLInputElement>('input[name=api-key-name]')!.value = name;
    view.element.querySelectorAll<HTMLInputElement>('input[name=api-key-scope]').forEach((box) => {
      box.checked = scopes.includes(box.value as ApiKeyScope);
    });
  };
  const submit = async () => {
    $<HTMLFormElement>('form.api-key-form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
  };

  beforeEach(async () => {
    server = new FakeKeys();
    server.keys = [
      { id: 'old', name: 'Moodle', scopes: ['run', 'grade'], prefix: 'cr_old', createdAt: new Date(2025, 0, 2).getTime(), lastUsedAt: NOW - 5 * MINUTE },
      { id: 'new', name: 'Contest', scopes: ['grade'], prefix: 'cr_new', createdAt: NOW - 2 * MINUTE, lastUsedAt: null },
    ];
    dialogs = new FakeDialogs();
    copied = [];
    view = new ApiKeysView(server, dialogs, USER, { now: () => NOW, copy: async (text) => { copied.push(text); } });
    await view.load();
  });

  it('lists name, scopes, prefix, created and last used, never a secret', () => {
    expect(rows()).toEqual([
      ['Moodle', 'grade, run', 'cr_old_…', '2025-01-02', '5 min ago'],
      ['Contest', 'grade', 'cr_new_…', '2 min ago', 'never'],
    ]);
    expect($('.api-key-reveal')!.hasAttribute('hidden')).toBe(true);
  });

  it('says when there are no keys', async () => {
    server.keys = [];
    await view.load();
    expect($('.api-key-list')!.textContent).toBe('No API keys yet.');
  });

  it('makes a key with the chosen scopes and shows its token and signing secret once', async () => {
    expect($<HTMLInputElement>('input[value=grade]')!.checked).toBe(true);
    expect($<HTMLInputElement>('input[value=run]')!.checked).toBe(false);
    fill('  Judge ', ['grade', 'run']);
    await submit();
    expect(server.calls).toEqual(['list', 'create {"name":"Judge","scopes":["grade","run"]}', 'list']);
    expect(rows().map((row) => row[0])).toEqual(['Moodle', 'Contest', 'Judge']);
    const reveal = $<HTMLElement>('.api-key-reveal')!;
    expect(reveal.hidden).toBe(false);
    expect(reveal.textContent).toContain('you will not see them again');
    expect($<HTMLInputElement>('input[name=api-key-token]')!.value).toBe('cr_id1_SECRETid1');
    expect($<HTMLInputElement>('input[name=api-key-signing-secret]')!.value).toBe('whsec_SIGNid1');
    expect($<HTMLInputElement>('input[name=api-key-name]')!.value).toBe('');

    reveal.querySelectorAll<HTMLButtonElement>('button[aria-label^=Copy]').forEach((button) => button.click());
    await settle();
    expect(copied).toEqual(['cr_id1_SECRETid1', 'whsec_SIGNid1']);
    expect(dialogs.toasts.map((toast) => toast.message)).toEqual(['API key copied', 'Signing secret copied']);

    [...reveal.querySelectorAll('button')].find((button) => button.textContent === 'I have saved them')!.click();
    expect(reveal.hidden).toBe(true);
    expect(view.element.innerHTML).not.toContain('SECRETid1');
    expect(view.element.innerHTML).not.toContain('whsec_SIGNid1');
  });

  it('selects the secret when the browser will not copy it', async () => {
    view = new ApiKeysView(server, dialogs, USER, { now: () => NOW, copy: async () => { throw new Error('denied'); } });
    await view.load();
    fill('Judge', ['run']);
    await submit();
    $<HTMLButtonElement>('button[aria-label="Copy API key"]')!.click();
    await settle();
    expect(dialogs.toasts).toEqual([{ message: 'The browser would not copy: the text is selected, press Ctrl+C.', tone: 'error' }]);
  });

  it('checks the form before sending it and shows what the server refused', async () => {
    fill(' ', ['grade']);
    await submit();
    fill('Judge', []);
    await submit();
    expect($('.form-error')!.textContent).toMatch(/at least one scope/);
    expect(server.calls).toEqual(['list']);

    server.failCreate = new ApiError(409, 'too_many_keys', 'you have 20 API keys already: revoke one first', 'name');
    fill('Judge', ['grade']);
    await submit();
    expect($('.form-error')!.textContent).toBe('you have 20 API keys already: revoke one first');
    expect($<HTMLElement>('.api-key-reveal')!.hidden).toBe(true);
    expect($<HTMLButtonElement>('form.api-key-form button[type=submit]')!.disabled).toBe(false);
  });

  it('revokes a key only after the user confirms', async () => {
    dialogs.confirms.push(false, true);
    $<HTMLButtonElement>('button[aria-label="Revoke Moodle"]')!.click();
    await settle();
    expect(server.calls).toEqual(['list']);
    $<HTMLButtonElement>('button[aria-label="Revoke Moodle"]')!.click();
    await settle();
    expect(server.calls).toEqual(['list', 'revoke old', 'list']);
    expect(rows().map((row) => row[0])).toEqual(['Contest']);
    expect(dialogs.toasts.map((toast) => toast.message)).toEqual(['Revoked "Moodle"']);
  });

  it('tells a guest to register first and asks the server nothing', async () => {
    const calls = new FakeKeys();
    const guest = new ApiKeysView(calls, dialogs, { id: 'g', username: '', email: null, guest: true });
    await guest.load();
    expect(guest.element.textContent).toContain('Guests cannot make API keys: create an account first');
    expect(guest.element.querySelector('form')).toBeNull();
    expect(calls.calls).toEqual([]);
  });
});
