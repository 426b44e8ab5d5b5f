// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { LayoutSizes } from '../layout';
import { Sidebar } from './sidebar';

describe('side bar', () => {
  function sidebar() {
    const layout: LayoutSizes = { sidebar: 240, panel: 260, preview: 420, sidebarHidden: false, panelHidden: false };
    const events: string[] = [];
    const view = (name: string) => ({ render: (container: HTMLElement) => { container.append(name); } });
    const bar = new Sidebar({ explorer: view('files'), projects: view('projects') }, layout, {
      layoutChanged: (save) => { events.push(save ? 'layout saved' : 'layout'); bar.applyLayout(); },
      openSettings: () => events.push('settings'),
    });
    const button = (id: string) => bar.activityBar.querySelector<HTMLButtonElement>(`.activity-item[data-view=${id}]`)!;
    return { bar, layout, events, button };
  }

  it('shows the view whose button is pressed, and hides the side bar when it already shows', () => {
    const { bar, layout, events, button } = sidebar();
    bar.show('explorer');
    expect(bar.element.textContent).toBe('files');
    expect(button('explorer').classList.contains('active')).toBe(true);
    button('projects').click();
    expect(bar.element.textContent).toBe('projects');
    expect(button('projects').classList.contains('active')).toBe(true);
    expect(button('explorer').classList.contains('active')).toBe(false);
    button('projects').click();
    expect(layout.sidebarHidden).toBe(true);
    expect(bar.element.hidden).toBe(true);
    expect(button('projects').classList.contains('active')).toBe(false);
    button('projects').click();
    expect(bar.element.hidden).toBe(false);
    expect(events).toEqual(['layout', 'layout', 'layout saved', 'layout']);
    bar.activityBar.querySelector<HTMLButtonElement>('[aria-label=Settings]')!.click();
    expect(events).toContain('settings');
  });

  it('on a narrow screen is a drawer: closed at first, opened by the menu button, closed by Escape, a tap beside it or a chosen file', () => {
    const { bar, layout, button } = sidebar();
    document.body.append(bar.menuButton, bar.activityBar, bar.element, bar.scrim);
    bar.show('explorer');
    bar.setNarrow(true);
    expect(bar.element.hidden).toBe(true);
    expect(bar.activityBar.classList.contains('drawer-open')).toBe(false);
    expect(bar.menuButton.getAttribute('aria-expanded')).toBe('false');
    bar.element.append(document.createElement('button'));
    bar.menuButton.click();
    expect(bar.element.hidden).toBe(false);
    expect(bar.scrim.hidden).toBe(false);
    expect(bar.activityBar.classList.contains('drawer-open')).toBe(true);
    expect(bar.menuButton.getAttribute('aria-expanded')).toBe('true');
    bar.element.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(bar.element.hidden).toBe(true);
    expect(document.activeElement).toBe(bar.menuButton);
    button('projects').click();
    expect(bar.element.hidden).toBe(false);
    expect(bar.element.textContent).toBe('projects');
    bar.scrim.click();
    expect(bar.element.hidden).toBe(true);
    bar.show('explorer');
    bar.fileChosen();
    expect(bar.element.hidden).toBe(true);
    // The drawer never touches the wide layout's remembered state; back on a wide screen the side bar shows.
    expect(layout.sidebarHidden).toBe(false);
    bar.setNarrow(false);
    expect(bar.element.hidden).toBe(false);
    expect(bar.scrim.hidden).toBe(true);
    document.body.replaceChildren();
  });
});
