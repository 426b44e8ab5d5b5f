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
});
