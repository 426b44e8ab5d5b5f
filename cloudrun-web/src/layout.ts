/** Panel sizes the user dragged, remembered in localStorage. */

const KEY = 'cloudrun.layout';

/** Below this width the workbench is narrow (styles.css has the same breakpoint): the side bar becomes a drawer. */
export const NARROW_QUERY = '(max-width: 700px)';

/** Calls `changed` now and whenever the window crosses the narrow breakpoint, until `signal` aborts. */
export function watchNarrow(target: Window, changed: (narrow: boolean) => void, signal: AbortSignal): void {
  const query = target.matchMedia(NARROW_QUERY);
  changed(query.matches);
  query.addEventListener('change', (event) => changed(event.matches), { signal });
}

export interface LayoutSizes {
  sidebar: number;
  panel: number;
  preview: number;
  sidebarHidden: boolean;
  panelHidden: boolean;
}

const DEFAULTS: LayoutSizes = { sidebar: 240, panel: 260, preview: 420, sidebarHidden: false, panelHidden: false };

export function loadLayout(): LayoutSizes {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) ?? '{}') };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveLayout(sizes: LayoutSizes): void {
  localStorage.setItem(KEY, JSON.stringify(sizes));
}

/**
 * Makes `handle` resize something: `apply` gets the new size from the pointer's movement
 * (`direction` 1 when moving right/down grows it, -1 when it shrinks it).
 */
export function makeSplitter(handle: HTMLElement, axis: 'x' | 'y', direction: 1 | -1, current: () => number,
                             apply: (size: number) => void, done: () => void, min = 120, max = () => 2000): void {
  handle.addEventListener('pointerdown', (down: PointerEvent) => {
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    handle.classList.add('dragging');
    document.body.classList.add(axis === 'x' ? 'resizing-x' : 'resizing-y');
    const start = axis === 'x' ? down.clientX : down.clientY;
    const initial = current();
    const move = (event: PointerEvent) => {
      const delta = ((axis === 'x' ? event.clientX : event.clientY) - start) * direction;
      apply(Math.max(min, Math.min(max(), initial + delta)));
    };
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.classList.remove('dragging');
      document.body.classList.remove('resizing-x', 'resizing-y');
      done();
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  });
}
