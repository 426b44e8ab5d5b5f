// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { confirmAction, h, openModal } from './dom';
import { showSettings } from './workbench/settings';

const press = (key: string, shiftKey = false) =>
  (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));

describe('modals', () => {
  afterEach(() => document.body.replaceChildren());

  it('close on Escape and give the focus back to where it was', () => {
    const opener = h('button', { type: 'button', text: 'open' });
    document.body.append(opener);
    opener.focus();
    let escaped = 0;
    const first = h('button', { type: 'button', text: 'first' });
    const overlay = h('div', { class: 'modal-backdrop' }, h('div', { class: 'modal', role: 'dialog', 'aria-label': 'Test' }, first));
    const dismiss = openModal(overlay, () => { escaped += 1; dismiss(); });
    expect(overlay.querySelector('[role=dialog]')!.getAttribute('aria-modal')).toBe('true');
    first.focus();
    press('Escape');
    expect(escaped).toBe(1);
    expect(overlay.isConnected).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it('keep Tab and Shift+Tab inside the dialog', () => {
    const first = h('button', { type: 'button', text: 'first' });
    const last = h('button', { type: 'button', text: 'last' });
    const overlay = h('div', {}, h('div', { role: 'dialog', 'aria-label': 'Test' }, first, h('button', { type: 'button', disabled: true }), last));
    openModal(overlay, () => {});
    last.focus();
    press('Tab');
    expect(document.activeElement).toBe(first);
    press('Tab', true);
    expect(document.activeElement).toBe(last);
  });

  it('a confirmation answers no on Escape', async () => {
    const answer = confirmAction('Delete', 'Delete it?', 'Delete');
    expect(document.activeElement?.textContent).toBe('Delete');
    press('Escape');
    expect(await answer).toBe(false);
    expect(document.querySelector('[role=dialog]')).toBeNull();
  });

  it('the settings dialog takes the focus and closes on Escape', () => {
    const opener = h('button', { type: 'button', text: 'settings' });
    document.body.append(opener);
    opener.focus();
    showSettings({ theme: 'dark', fontSize: 14, terminalMode: true }, { id: 'u', username: 'ada', email: null, guest: false } as never, () => {});
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Theme');
    press('Escape');
    expect(document.querySelector('[role=dialog]')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
