// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { BottomPanel } from './bottomPanel';

describe('bottom panel', () => {
  it('is a tab list whose tabs control their panels; one Tab stop, the arrows pick a tab', () => {
    const shown: string[] = [];
    const panel = new BottomPanel([], { clearTerminal: () => {}, shown: (tab) => shown.push(tab) });
    document.body.append(panel.element);
    panel.show('terminal');
    const tab = (id: string) => panel.element.querySelector<HTMLElement>(`[role=tab][data-tab=${id}]`)!;
    for (const id of ['terminal', 'shell', 'ai', 'input', 'history']) {
      const controlled = document.getElementById(tab(id).getAttribute('aria-controls')!)!;
      expect(controlled.getAttribute('role')).toBe('tabpanel');
      expect(controlled.getAttribute('aria-labelledby')).toBe(tab(id).id);
    }
    expect([...panel.element.querySelectorAll<HTMLElement>('[role=tab]')].map((t) => t.tabIndex)).toEqual([0, -1, -1, -1, -1]);
    tab('terminal').focus();
    tab('terminal').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(document.activeElement).toBe(tab('shell'));
    expect(tab('shell').getAttribute('aria-selected')).toBe('true');
    expect(panel.current).toBe('shell');
    expect(panel.terminalHost.hidden).toBe(true);
    expect(panel.shellPane.hidden).toBe(false);
    tab('shell').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    tab('terminal').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    expect(document.activeElement).toBe(tab('history'));
    tab('history').dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    expect(document.activeElement).toBe(tab('terminal'));
    expect(shown).toEqual(['terminal', 'shell', 'terminal', 'history', 'terminal']);
    expect([...panel.element.querySelectorAll<HTMLElement>('[role=tab]')].map((t) => t.tabIndex)).toEqual([0, -1, -1, -1, -1]);
    panel.element.remove();
  });
});
