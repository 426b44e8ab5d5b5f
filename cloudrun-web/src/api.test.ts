// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Api, ApiError } from './api';

describe('API keys requests', () => {
  let sent: Array<{ url: string; method: string; headers: Record<string, string>; body?: string }>;
  let answer: Response;
  const api = new Api();

  beforeEach(() => {
    sent = [];
    api.token = 'session-token';
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      sent.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body as string | undefined });
      return answer;
    });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    api.token = null;
  });

  it('lists, makes and revokes keys with the session token', async () => {
    answer = new Response(JSON.stringify({ keys: [{ id: 'k1', name: 'Moodle', scopes: ['grade'], prefix: 'cr_k1', createdAt: 1, lastUsedAt: null }] }));
    expect((await api.apiKeys()).map((key) => key.name)).toEqual(['Moodle']);
    answer = new Response(JSON.stringify({ id: 'k2', key: 'cr_k2_s', signingSecret: 'whsec_x' }), { status: 201 });
    expect((await api.createApiKey('LMS', ['grade', 'run'])).key).toBe('cr_k2_s');
    answer = new Response(null, { status: 204 });
    await api.revokeApiKey('k/2');

    expect(sent.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /api/keys', 'POST /api/keys', 'DELETE /api/keys/k%2F2']);
    expect(sent.every((request) => request.headers.Authorization === 'Bearer session-token')).toBe(true);
    expect(sent[1].headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(sent[1].body!)).toEqual({ name: 'LMS', scopes: ['grade', 'run'] });
  });

  it('turns a refusal into an ApiError naming the field', async () => {
    answer = new Response(JSON.stringify({ error: { code: 'invalid_field', message: 'name must be 1 to 100 characters', field: 'name' } }),
      { status: 400 });
    const failure = await api.createApiKey('', ['grade']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 400, code: 'invalid_field', field: 'name' });
  });
});
