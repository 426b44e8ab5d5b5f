/** The activity bar and the side bar: which view (Explorer or Projects) shows, and hiding it by pressing its button again. */
import { clear, h, icon } from '../dom';
import type { LayoutSizes } from '../layout';

export type SidebarView = 'explorer' | 'projects';

/** A view the side bar can show. */
export interface SidebarContent {
  render(container: HTMLElement): void;
}

export interface SidebarHost {
  /** The side bar was shown or hidden: lay the page out again (and remember it when `save`). */
  layoutChanged(save: boolean): void;
  openSettings(): void;
}

export class Sidebar {
  readonly element = h('aside', { class: 'sidebar', 'aria-label': 'Side bar' });
  readonly activityBar = h('nav', { class: 'activity-bar', 'aria-label': 'Activity bar' });
  private current: SidebarView = 'explorer';
  private readonly buttons = new Map<SidebarView, HTMLButtonElement>();

  constructor(private readonly views: Record<SidebarView, SidebarContent>, private readonly layout: LayoutSizes,
              private readonly host: SidebarHost) {
    const item = (id: SidebarView, label: string, iconName: string) => {
      const button = h('button', { class: 'activity-item', type: 'button', title: label, 'aria-label': label, 'data-view': id,
        onclick: () => this.toggle(id) }, icon(iconName, 24));
      this.buttons.set(id, button);
      this.activityBar.appendChild(button);
    };
    item('explorer', 'Explorer', 'files');
    item('projects', 'Projects', 'projects');
    this.activityBar.appendChild(h('div', { class: 'spacer' }));
    this.activityBar.appendChild(h('button', { class: 'activity-item', type: 'button', title: 'Settings', 'aria-label': 'Settings',
      onclick: () => this.host.openSettings() }, icon('settings', 24)));
  }

  get view(): SidebarView {
    return this.current;
  }

  /** The view's button hides the side bar when that view already shows, else shows the view. */
  toggle(view: SidebarView): void {
    if (this.current === view && !this.layout.sidebarHidden) {
      this.layout.sidebarHidden = true;
      this.host.layoutChanged(true);
    } else {
      this.show(view);
    }
  }

  show(view: SidebarView): void {
    this.current = view;
    this.layout.sidebarHidden = false;
    this.render();
    this.host.layoutChanged(false);
  }

  /** Draws the current view again. */
  render(): void {
    clear(this.element);
    this.views[this.current].render(this.element);
  }

  /** Applies the layout's hidden flag; the shown view's button is highlighted. */
  applyLayout(): void {
    this.element.hidden = this.layout.sidebarHidden;
    this.buttons.forEach((button, id) => button.classList.toggle('active', !this.layout.sidebarHidden && id === this.current));
  }
}
