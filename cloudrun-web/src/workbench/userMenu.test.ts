// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { User } from '../api';
import { userMenu } from './userMenu';

describe('user menu', () => {
  it('opens with the focus on its first item, goes through items with the arrows, closes on Escape back to the badge', () => {
    const done: string[] = [];
    const action = (name: string) => () => { done.push(name); };
    const signal = new AbortController();
    const element = userMenu({ username: 'ada', guest: false } as User, 'dark', {
      settings: action('settings'), toggleTheme: action('theme'), help: action('help'), apiKeys: action('keys'),
      createAccount: action('account'), logout: action('logout'),
    }, signal.signal);
    document.body.append(element);
    const badge = element.querySelector<HTMLElement>('.user-badge')!;
    const menu = element.querySelector<HTMLElement>('[role=menu]')!;
    expect(badge.getAttribute('aria-label')).toBe('ada: account menu');
    badge.click();
    expect(menu.hidden).toBe(false);
    expect(badge.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement?.textContent).toBe('Settings');
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement?.textContent).toBe('Light theme');
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    expect(document.activeElement?.textContent).toBe('Log out');
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(menu.hidden).toBe(true);
    expect(badge.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(badge);
    expect(done).toEqual([]);
    signal.abort();
    element.remove();
  });
});
