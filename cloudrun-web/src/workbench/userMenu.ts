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
  const menu = h('div', { class: 'menu', role: 'menu', id: 'user-menu', 'aria-label': 'Account', hidden: true });
  const setOpen = (open: boolean) => {
    menu.hidden = !open;
    badge.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector<HTMLElement>('.menu-item')?.focus();
  };
  const item = (label: string, action: () => void) => h('button', { class: 'menu-item', type: 'button', role: 'menuitem', text: label,
    onclick: () => { setOpen(false); action(); } });
  append(menu,
    h('div', { class: 'menu-header', role: 'presentation', text: user.guest ? 'Signed in as a guest' : `Signed in as ${user.username}` }),
    item('Settings', actions.settings),
    item(theme === 'dark' ? 'Light theme' : 'Dark theme', actions.toggleTheme),
    item('Keyboard shortcuts', actions.help),
    item('API keys', actions.apiKeys),
    user.guest ? item('Create an account (keeps your projects)', actions.createAccount) : null,
    item('Log out', actions.logout));
  const badge = h('button', { class: 'user-badge', type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'user-menu',
    'aria-label': `${name}: account menu`, title: name, 'data-testid': 'user-badge',
    onclick: (event: Event) => { event.stopPropagation(); setOpen(menu.hidden); } },
  // The initial is drawn by CSS: the accessible name holds the visible name, nothing more (axe's label-content-name-mismatch).
  h('span', { class: 'avatar', 'aria-hidden': 'true', 'data-initial': name.slice(0, 1).toUpperCase() }), h('span', { class: 'user-name', text: name }));
  // A menu's keys: Up and Down go through the items, Escape closes it and goes back to the badge.
  menu.addEventListener('keydown', (event) => {
    const items = [...menu.querySelectorAll<HTMLElement>('.menu-item')];
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') { setOpen(false); badge.focus(); }
    else if (event.key === 'ArrowDown') items[(index + 1) % items.length]?.focus();
    else if (event.key === 'ArrowUp') items[(index - 1 + items.length) % items.length]?.focus();
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  document.addEventListener('click', () => setOpen(false), { signal });
  return h('div', { class: 'user' }, badge, menu);
}
