/** The user badge at the top right and its menu (settings, theme, shortcuts, API keys, account, log out). */
import type { User } from '../api';
import { append, h } from '../dom';
import type { Theme } from './settings';

export interface UserMenuActions {
  settings(): void;
  toggleTheme(): void;
  help(): void;
  /** The API keys dialog (a guest's explains that keys need an account). */
  apiKeys(): void;
  /** A guest's way to an account: back to the sign-in screen. */
  createAccount(): void;
  logout(): void;
}

/** The badge with its menu; a click anywhere else closes the menu until `signal` aborts. */
export function userMenu(user: User, theme: Theme, actions: UserMenuActions, signal: AbortSignal): HTMLElement {
  const name = user.guest ? 'Guest' : user.username;
  const menu = h('div', { class: 'menu', role: 'menu', hidden: true });
  const item = (label: string, action: () => void) => h('button', { class: 'menu-item', type: 'button', role: 'menuitem', text: label,
    onclick: () => { menu.hidden = true; action(); } });
  append(menu,
    h('div', { class: 'menu-header', text: user.guest ? 'Signed in as a guest' : `Signed in as ${user.username}` }),
    item('Settings', actions.settings),
    item(theme === 'dark' ? 'Light theme' : 'Dark theme', actions.toggleTheme),
    item('Keyboard shortcuts', actions.help),
    item('API keys', actions.apiKeys),
    user.guest ? item('Create an account (keeps your projects)', actions.createAccount) : null,
    item('Log out', actions.logout));
  const badge = h('button', { class: 'user-badge', type: 'button', 'aria-haspopup': 'menu', title: name, 'data-testid': 'user-badge',
    onclick: (event: Event) => { event.stopPropagation(); menu.hidden = !menu.hidden; } },
  h('span', { class: 'avatar', text: name.slice(0, 1).toUpperCase() }), h('span', { class: 'user-name', text: name }));
  document.addEventListener('click', () => { menu.hidden = true; }, { signal });
  return h('div', { class: 'user' }, badge, menu);
}
