/** Sign-in screen: login, register, continue as guest. */
import { Api, ApiError, type User } from './api';
import { h } from './dom';

export function showAuthScreen(root: HTMLElement, api: Api, notice: string | null, onSignedIn: (user: User) => void): void {
  let mode: 'login' | 'register' = 'login';
  const error = h('div', { class: 'form-error', role: 'alert' });
  const info = h('div', { class: 'form-notice', role: 'status' });
  if (notice) info.textContent = notice;
  const username = h('input', { class: 'input', name: 'username', autocomplete: 'username', required: true });
  const email = h('input', { class: 'input', name: 'email', type: 'email', autocomplete: 'email' });
  const password = h('input', { class: 'input', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const usernameLabel = h('span', { text: 'Username or e-mail' });
  const emailField = h('label', { class: 'field' }, h('span', { text: 'E-mail' }), email);
  const submit = h('button', { class: 'button primary wide', type: 'submit', text: 'Sign in' });
  const loginTab = h('button', { type: 'button', class: 'auth-tab', role: 'tab', text: 'Sign in' });
  const registerTab = h('button', { type: 'button', class: 'auth-tab', role: 'tab', text: 'Create account' });

  const render = () => {
    loginTab.classList.toggle('active', mode === 'login');
    registerTab.classList.toggle('active', mode === 'register');
    loginTab.setAttribute('aria-selected', String(mode === 'login'));
    registerTab.setAttribute('aria-selected', String(mode === 'register'));
    emailField.hidden = mode === 'login';
    email.required = mode === 'register';
    usernameLabel.textContent = mode === 'login' ? 'Username or e-mail' : 'Username';
    password.autocomplete = mode === 'login' ? 'current-password' : 'new-password';
    submit.textContent = mode === 'login' ? 'Sign in' : 'Create account';
    error.textContent = '';
  };
  loginTab.addEventListener('click', () => { mode = 'login'; render(); });
  registerTab.addEventListener('click', () => { mode = 'register'; render(); });

  const busy = (on: boolean) => root.querySelectorAll('button').forEach((button) => { button.disabled = on; });
  const attempt = async (action: () => Promise<User>) => {
    error.textContent = '';
    busy(true);
    try {
      onSignedIn(await action());
    } catch (problem) {
      error.textContent = problem instanceof ApiError ? problem.message : String(problem);
      busy(false);
    }
  };

  const form = h('form', { class: 'auth-form', novalidate: true },
    h('label', { class: 'field' }, usernameLabel, username),
    emailField,
    h('label', { class: 'field' }, h('span', { text: 'Password' }), password),
    error,
    submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      error.textContent = 'Please fill in every field.';
      return;
    }
    void attempt(() => mode === 'login'
      ? api.login(username.value.trim(), password.value)
      : api.register(username.value.trim(), email.value.trim(), password.value));
  });

  root.replaceChildren(h('main', { class: 'auth-screen' },
    h('div', { class: 'auth-card' },
      h('h1', { class: 'brand' }, h('span', { class: 'brand-mark', text: '▶' }), h('span', { text: 'CloudRun' })),
      h('p', { class: 'auth-tagline', text: 'Write code in your browser and run it in a sandbox.' }),
      info,
      h('div', { class: 'auth-tabs', role: 'tablist' }, loginTab, registerTab),
      form,
      h('div', { class: 'auth-divider', text: 'or' }),
      h('button', { class: 'button secondary wide', type: 'button', text: 'Continue as guest',
        onclick: () => void attempt(() => api.guest()) }))));
  render();
  username.focus();
}
