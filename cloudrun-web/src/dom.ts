/** A tiny element builder. Text always goes in as textContent: nothing a user or program wrote becomes HTML. */

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = String(value);
    } else if (name === 'text') {
      element.textContent = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

/** Inline SVG icons (codicon-like outlines) so the IDE needs no icon font or network. */
const ICONS: Record<string, string> = {
  files: 'M3 2h6l3 3v9H3z M9 2v3h3',
  projects: 'M2 4h5l1 2h6v7H2z',
  settings: 'M8 5.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z M8 1v2 M8 13v2 M1 8h2 M13 8h2 M3 3l1.5 1.5 M11.5 11.5L13 13 M3 13l1.5-1.5 M11.5 4.5L13 3',
  run: 'M4 2.5v11l9-5.5z',
  stop: 'M3.5 3.5h9v9h-9z',
  newFile: 'M3 2h6l3 3v9H3z M9 2v3h3 M7.5 7v5 M5 9.5h5',
  newFolder: 'M1.5 4h5l1 2h7v7h-13z M8 8v4 M6 10h4',
  upload: 'M8 11V3 M4.5 6.5L8 3l3.5 3.5 M2.5 13.5h11',
  refresh: 'M13 8a5 5 0 1 1-1.5-3.5 M13 2v3h-3',
  rename: 'M2 14l1-4 8-8 3 3-8 8z',
  trash: 'M3 4h10 M6 4V2.5h4V4 M4.5 4l.5 10h6l.5-10',
  download: 'M8 2v8 M4.5 6.5L8 10l3.5-3.5 M2.5 13.5h11',
  clear: 'M2 4h9 M2 7.5h6 M2 11h4 M9.5 9.5l4 4 M13.5 9.5l-4 4',
  preview: 'M1 8s2.5-5 7-5 7 5 7 5-2.5 5-7 5-7-5-7-5z M8 6a2 2 0 1 0 0 4 2 2 0 0 0 0-4z',
  help: 'M6 6a2 2 0 1 1 3 1.7c-.7.4-1 .8-1 1.6 M8 12v.5',
  chevron: 'M6 4l4 4-4 4',
  folder: 'M1.5 4h5l1 2h7v7h-13z',
  file: 'M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3',
  close: 'M4 4l8 8 M12 4l-8 8',
  plus: 'M8 3v10 M3 8h10',
  theme: 'M8 2a6 6 0 1 0 0 12z M8 2a6 6 0 0 1 0 12',
  menu: 'M2 4h12 M2 8h12 M2 12h12',
};

export function icon(name: keyof typeof ICONS | string, size = 16): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name] ?? ICONS.file);
  path.setAttribute('fill', name === 'run' ? 'currentColor' : 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.2');
  path.setAttribute('stroke-linejoin', 'round');
  path.setAttribute('stroke-linecap', 'round');
  svg.appendChild(path);
  return svg;
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex="0"]';

/**
 * Shows `overlay`, a modal backdrop holding a role=dialog: Escape calls `onEscape`, Tab and Shift+Tab
 * go round the dialog's controls, and the returned function takes it away and gives the focus back
 * to where it was before.
 */
export function openModal(overlay: HTMLElement, onEscape: () => void): () => void {
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  overlay.querySelector('[role=dialog]')?.setAttribute('aria-modal', 'true');
  overlay.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onEscape();
    } else if (event.key === 'Tab') {
      const controls = [...overlay.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((control) => !control.closest('[hidden]'));
      if (controls.length === 0) return;
      const first = controls[0];
      const last = controls[controls.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    }
  });
  document.body.appendChild(overlay);
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    overlay.remove();
    if (before?.isConnected) before.focus();
  };
}

/** A modal that asks for one line of text; resolves null when cancelled. */
export function askText(title: string, label: string, initial = '', validate?: (value: string) => string | null): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'text', class: 'input', 'aria-label': label, spellcheck: 'false' });
    input.value = initial;
    const problem = h('div', { class: 'form-error', role: 'alert' });
    const close = (value: string | null) => {
      dismiss();
      resolve(value);
    };
    const submit = () => {
      const value = input.value.trim();
      const error = validate ? validate(value) : value ? null : 'Please enter a value.';
      if (error) {
        problem.textContent = error;
        return;
      }
      close(value);
    };
    input.addEventListener('keydown', (event) => {
      // Not default: the key would go on to the button the focus returns to, and press it (opening the dialog again).
      if (event.key === 'Enter') { event.preventDefault(); submit(); }
    });
    const overlay = h('div', { class: 'modal-backdrop', onclick: (event: Event) => event.target === overlay && close(null) },
      h('div', { class: 'modal', role: 'dialog', 'aria-label': title },
        h('h2', { text: title }),
        h('label', { class: 'field' }, h('span', { text: label }), input),
        problem,
        h('div', { class: 'modal-actions' },
          h('button', { class: 'button secondary', type: 'button', onclick: () => close(null), text: 'Cancel' }),
          h('button', { class: 'button primary', type: 'button', onclick: submit, text: 'OK' }))));
    const dismiss = openModal(overlay, () => close(null));
    input.focus();
    const dot = initial.lastIndexOf('.');
    input.setSelectionRange(0, dot > 0 ? dot : initial.length);
  });
}

/** A modal yes/no question. */
export function confirmAction(title: string, message: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (value: boolean) => {
      dismiss();
      resolve(value);
    };
    const confirmButton = h('button', { class: 'button danger', type: 'button', onclick: () => close(true), text: action });
    const overlay = h('div', { class: 'modal-backdrop' },
      h('div', { class: 'modal', role: 'dialog', 'aria-label': title },
        h('h2', { text: title }),
        h('p', { text: message }),
        h('div', { class: 'modal-actions' },
          h('button', { class: 'button secondary', type: 'button', onclick: () => close(false), text: 'Cancel' }),
          confirmButton)));
    const dismiss = openModal(overlay, () => close(false));
    confirmButton.focus();
  });
}

/** A short message in the corner. */
export function toast(message: string, tone: 'info' | 'error' = 'info'): void {
  let host = document.querySelector<HTMLElement>('.toasts');
  if (!host) {
    host = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.appendChild(host);
  }
  const note = h('div', { class: `toast ${tone}`, role: tone === 'error' ? 'alert' : 'status', text: message });
  host.appendChild(note);
  setTimeout(() => note.remove(), tone === 'error' ? 7000 : 3500);
}
