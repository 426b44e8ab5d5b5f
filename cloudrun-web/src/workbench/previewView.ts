/** The HTML preview pane: which page it shows, rebuilt from the project's files (unsaved edits included). */
import type { Project } from '../api';
import { h, icon } from '../dom';
import { extension, type Entry } from '../paths';
import { buildPreview } from '../preview';

export const isHtmlPath = (path: string | null | undefined): path is string => !!path && ['.html', '.htm'].includes(extension(path));

/** The HTML page the preview shows: the open HTML file, else the project's entry, else the first HTML file. */
export function previewPage(activePath: string | null, entry: string | null | undefined, entries: Entry[]): string | null {
  if (isHtmlPath(activePath)) return activePath;
  if (isHtmlPath(entry)) return entry;
  return entries.find((candidate) => isHtmlPath(candidate.path))?.path ?? null;
}

/** Where the preview's files come from. */
export interface PreviewSources {
  project(): Project | null;
  entries(): Entry[];
  activePath(): string | null;
  /** An open file's current content (unsaved edits show at once), undefined when it is not open. */
  openContent(path: string): Uint8Array | undefined;
  read(projectId: string, path: string): Promise<Uint8Array>;
}

export const NO_PAGE = '<p style="font-family:sans-serif;color:#888">This project has no HTML page to preview.</p>';

/** The page the preview frame loads; it shows the document posted to it (see public/preview.js). */
export const PREVIEW_PAGE = 'preview.html';

export class PreviewView {
  private shown = false;
  private timer = 0;
  private loads = 0;
  private current: string | null = null;
  private readonly frame = h('iframe', { class: 'preview-frame', title: 'HTML preview', sandbox: 'allow-scripts allow-modals allow-forms' });
  readonly element = h('section', { class: 'preview-pane', 'aria-label': 'Preview' });

  /** `visibilityChanged` runs when the pane is shown or hidden (the layout makes room). */
  constructor(private readonly sources: PreviewSources, private readonly visibilityChanged: () => void) {
    // The IDE's Content-Security-Policy would apply to a srcdoc document and block the page's own
    // scripts; the preview page has its own policy, says when it is ready, and gets the document then
    // (also when the frame reloads for any other reason, such as being moved in the layout).
    window.addEventListener('message', this.answerPreview);
    this.element.append(
      h('div', { class: 'pane-header' }, h('span', { text: 'Preview' }),
        h('button', { class: 'icon-button', type: 'button', title: 'Refresh preview', 'aria-label': 'Refresh preview', onclick: () => void this.refresh() }, icon('refresh')),
        h('button', { class: 'icon-button', type: 'button', title: 'Close preview', 'aria-label': 'Close preview', onclick: () => this.setVisible(false) }, icon('close'))),
      this.frame);
  }

  /** The document the preview shows (or is loading), null before the first refresh. */
  get document(): string | null {
    return this.current;
  }

  get visible(): boolean {
    return this.shown;
  }

  setVisible(visible: boolean): void {
    this.shown = visible;
    this.visibilityChanged();
    if (visible) void this.refresh();
  }

  /** Refreshes a little after the typing stops. */
  schedule(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), 400);
  }

  async refresh(): Promise<void> {
    const project = this.sources.project();
    if (!project || !this.shown) return;
    const page = previewPage(this.sources.activePath(), project.entry, this.sources.entries());
    if (!page) {
      this.show(NO_PAGE);
      return;
    }
    const contents = new Map<string, Uint8Array>();
    await Promise.all(this.sources.entries().filter((entry) => entry.kind === 'file').map(async (entry) => {
      contents.set(entry.path, this.sources.openContent(entry.path) ?? await this.sources.read(project.id, entry.path));
    }));
    const html = new TextDecoder().decode(contents.get(page) ?? new Uint8Array());
    this.show(buildPreview(page, html, (path) => contents.get(path)));
  }

  private show(document: string): void {
    this.current = document;
    this.frame.src = `${PREVIEW_PAGE}?v=${++this.loads}`;
  }

  private readonly answerPreview = (event: MessageEvent): void => {
    const frame = this.frame.contentWindow;
    if (!frame || event.source !== frame || this.current === null || !(event.data as { cloudrunPreviewReady?: boolean })?.cloudrunPreviewReady) return;
    frame.postMessage({ cloudrunPreview: this.current }, '*');
  };

  dispose(): void {
    window.removeEventListener('message', this.answerPreview);
    clearTimeout(this.timer);
  }
}
