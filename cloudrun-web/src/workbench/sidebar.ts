/**
 * The activity bar and the side bar: which view (Explorer or Projects) shows, and hiding it by pressing
 * its button again. On a narrow screen (layout.ts's NARROW_QUERY) the two are a drawer over the editor,
 * closed until the title bar's menu button (or a view's need) opens it; Escape, the scrim beside it or
 * choosing a file closes it.
 */
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
  readonly element = h('aside', { class: 'sidebar', id: 'sidebar', 'aria-label': 'Side bar' });
  readonly activityBar = h('nav', { class: 'activity-bar', 'aria-label': 'Activity bar' });
  /** The title bar's button that opens and closes the drawer (shown on narrow screens only). */
  readonly menuButton = h('button', { class: 'icon-button drawer-toggle', type: 'button', title: 'Files and projects',
    'aria-label': 'Files and projects', 'aria-controls': 'sidebar', 'aria-expanded': 'false', onclick: () => this.setDrawer(!this.drawerOpen, true) },
  icon('menu', 18));
  /** Covers the editor beside the open drawer; a tap on it closes the drawer. */
  readonly scrim = h('div', { class: 'drawer-scrim', hidden: true, onclick: () => this.setDrawer(false, false) });
  private current: SidebarView = 'explorer';
  private readonly buttons = new Map<SidebarView, HTMLButtonElement>();
  private narrow = false;
  private drawerOpen = false;

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
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || !this.narrow || !this.drawerOpen) return;
      event.preventDefault();
      this.setDrawer(false, true);
    };
    this.element.addEventListener('keydown', closeOnEscape);
    this.activityBar.addEventListener('keydown', closeOnEscape);
  }

  /** Whether the side bar shows: the drawer's state on a narrow screen, the remembered one otherwise. */
  get shown(): boolean {
    return this.narrow ? this.drawerOpen : !this.layout.sidebarHidden;
  }

  get isDrawer(): boolean {
    return this.narrow;
  }

  /** The screen became narrow (the side bar turns into a closed drawer) or wide again. */
  setNarrow(narrow: boolean): void {
    this.narrow = narrow;
    this.drawerOpen = false;
    this.host.layoutChanged(false);
  }

  /** Opens or closes the drawer (nothing on a wide screen); `moveFocus` takes the focus into it or back to the menu button. */
  setDrawer(open: boolean, moveFocus: boolean): void {
    if (!this.narrow || this.drawerOpen === open) return;
    this.drawerOpen = open;
    if (open) this.render();
    this.host.layoutChanged(false);
    if (!moveFocus) return;
    if (open) this.focusContent();
    else this.menuButton.focus();
  }

  /** The focus goes into the view: the tree's row (its one Tab stop), else its first field or button. */
  focusContent(): void {
    const target = this.element.querySelector<HTMLElement>('.tree-row[tabindex="0"]')
      ?? this.element.querySelector<HTMLElement>('input:not([type=file]), select, button');
    target?.focus();
  }

  /** A file was chosen in the drawer: it closes, the editor takes over. */
  fileChosen(): void {
    this.setDrawer(false, false);
  }

  get view(): SidebarView {
    return this.current;
  }

  /** The view's button hides the side bar when that view already shows, else shows the view. */
  toggle(view: SidebarView): void {
    if (this.current === view && this.narrow && this.drawerOpen) {
      this.setDrawer(false, true);
    } else if (this.current === view && !this.narrow && !this.layout.sidebarHidden) {
      this.layout.sidebarHidden = true;
      this.host.layoutChanged(true);
    } else {
      this.show(view);
    }
  }

  show(view: SidebarView): void {
    this.current = view;
    if (this.narrow) this.drawerOpen = true;
    else this.layout.sidebarHidden = false;
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
    const shown = this.shown;
    this.element.hidden = !shown;
    this.activityBar.classList.toggle('drawer-open', this.narrow && shown);
    this.scrim.hidden = !(this.narrow && shown);
    this.menuButton.setAttribute('aria-expanded', String(this.narrow && shown));
    this.buttons.forEach((button, id) => {
      button.classList.toggle('active', shown && id === this.current);
      button.setAttribute('aria-pressed', String(shown && id === this.current));
    });
  }
}
