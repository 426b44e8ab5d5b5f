/** Entry point: the sign-in screen or the IDE, depending on the kept token. */
import './styles.css';
import { Api, ApiError } from './api';
import { showAuthScreen } from './auth';
import type { Ide } from './ide';
import { SessionKeeper } from './session';

const root = document.getElementById('app')!;
const api = new Api();
let ide: Ide | null = null;
const keeper = new SessionKeeper(() => api.token, async () => { await api.refresh(); });
// Timers sleep with the laptop: on coming back, renew at once if the token is due.
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && ide) keeper.start(); });

function signIn(notice: string | null): void {
  keeper.stop();
  ide?.dispose();
  ide = null;
  showAuthScreen(root, api, notice, () => void openIde());
}

async function openIde(): Promise<void> {
  try {
    // The workbench (and xterm.js) loads only after sign-in, so the sign-in screen paints from a small script.
    const [user, { Ide }] = await Promise.all([api.me(), import('./ide')]);
    ide = new Ide(root, api, user, () => signIn(null));
    keeper.start();
    await ide.start();
  } catch (problem) {
    if (problem instanceof ApiError && problem.status === 401) return; // onSessionExpired shows the screen
    root.replaceChildren();
    const message = document.createElement('div');
    message.className = 'fatal';
    message.textContent = problem instanceof Error ? problem.message : String(problem);
    root.appendChild(message);
  }
}

api.onSessionExpired = () => {
  api.logout();
  signIn('Your session has expired. Please sign in again.');
};

const theme = (() => {
  try {
    return JSON.parse(localStorage.getItem('cloudrun.settings') ?? '{}').theme;
  } catch {
    return undefined;
  }
})();
document.documentElement.dataset.theme = theme === 'light' ? 'light' : 'dark';

if (api.token) void openIde();
else signIn(null);
