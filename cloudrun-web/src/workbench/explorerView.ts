/** The Explorer side bar: the open project's file tree; new file or folder, rename, delete, upload (also by drag and drop), download. */
import type { Api } from '../api';
import { h, icon } from '../dom';
import { basename, buildTree, dirname, isWithin, join, moved, nameProblem, type TreeNode } from '../paths';
import { guard, type Dialogs } from './dialogs';
import { tabStop, treeKeyAction, type TreeRow } from './treeKeys';
import type { Workspace } from './workspace';

export type ExplorerApi = Pick<Api, 'readFile' | 'writeFile' | 'createFolder' | 'move' | 'deleteEntry' | 'updateProject'>;

export interface ExplorerHost {
  activePath(): string | null;
  isDirty(path: string): boolean;
  openFile(path: string): Promise<void>;
  /** Files under `from` moved to `to` (open tabs follow), before the tree is reloaded. */
  renamed(from: string, to: string): Promise<void>;
  /** `path` and everything inside it were deleted. */
  deleted(path: string): void;
  /** The file at `path` was replaced by an upload. */
  replaced(path: string): void;
  uploaded(): void;
  showProjects(): void;
  /** The tree's state changed: draw the side bar again. */
  changed(): void;
}

export class ExplorerView {
  private expanded = new Set<string>();
  /** The folder new files and uploads go to ('' for the project's top). */
  private selected = '';
  /** The row the keyboard is on (the tree's one Tab stop, a roving tabindex). */
  private focusedPath: string | null = null;
  /** Set when a key changed the tree: the next drawing puts the focus back on the focused row. */
  private refocus = false;
  /** The rows the last drawing showed, top to bottom. */
  private rows: TreeRow[] = [];

  constructor(private readonly workspace: Workspace, private readonly api: ExplorerApi, private readonly dialogs: Dialogs,
              private readonly host: ExplorerHost) {}

  get selectedFolder(): string {
    return this.selected;
  }

  /** Another project was opened: every folder closed, none selected. */
  reset(): void {
    this.expanded = new Set();
    this.selected = '';
    this.focusedPath = null;
  }

  /** Files dropped anywhere on `target` are uploaded to the selected folder. */
  acceptDrops(target: HTMLElement): void {
    target.addEventListener('dragover', (event) => { event.preventDefault(); target.classList.add('drop-target'); });
    target.addEventListener('dragleave', () => target.classList.remove('drop-target'));
    target.addEventListener('drop', (event) => {
      event.preventDefault();
      target.classList.remove('drop-target');
      if (event.dataTransfer?.files.length) void this.upload(Array.from(event.dataTransfer.files));
    });
  }

  render(container: HTMLElement): void {
    const project = this.workspace.project;
    const header = h('div', { class: 'sidebar-title' }, h('span', { text: 'Explorer' }));
    if (!project) {
      container.append(header, h('div', { class: 'empty', text: 'No project is open.' }),
        h('button', { class: 'button secondary wide', type: 'button', text: 'Open or create a project', onclick: () => this.host.showProjects() }));
      return;
    }
    const fileInput = h('input', { type: 'file', multiple: true, hidden: true, 'data-testid': 'upload-input' });
    fileInput.addEventListener('change', () => {
      if (fileInput.files?.length) void this.upload(Array.from(fileInput.files));
      fileInput.value = '';
    });
    const action = (name: string, label: string, run: () => void) => h('button', { class: 'icon-button', type: 'button', title: label, 'aria-label': label, onclick: run }, icon(name));
    const section = h('div', { class: 'explorer-section' },
      h('div', { class: 'explorer-header' },
        h('span', { class: 'explorer-project', text: project.name }),
        h('div', { class: 'explorer-actions' },
          action('newFile', 'New file', () => void this.newEntry('file')),
          action('newFolder', 'New folder', () => void this.newEntry('folder')),
          action('upload', 'Upload files', () => fileInput.click()),
          action('refresh', 'Refresh', () => void guard(this.dialogs, () => this.workspace.reloadTree())))),
      fileInput);
    const tree = h('ul', { class: 'tree', role: 'tree', 'aria-label': `Files of ${project.name}` });
    this.rows = [];
    this.renderNodes(tree, buildTree(this.workspace.entries).children, 0);
    tree.addEventListener('click', (event) => {
      if (event.target === tree) { this.selected = ''; this.host.changed(); }
    });
    tree.addEventListener('keydown', (event) => this.onKey(tree, event));
    container.append(header, section, tree, h('div', { class: 'drop-hint', text: 'Drop files here to upload them' }));
    const stop = tabStop(this.rows, this.focusedPath, this.host.activePath());
    const stopRow = stop === null ? null : this.rowElement(tree, stop);
    if (stopRow) stopRow.tabIndex = 0;
    if (this.refocus) {
      this.refocus = false;
      stopRow?.focus();
    }
  }

  private rowElement(tree: HTMLElement, path: string): HTMLElement | null {
    return [...tree.querySelectorAll<HTMLElement>('.tree-row')].find((row) => row.dataset.path === path) ?? null;
  }

  /** The tree's keys (treeKeys.ts): arrows, Home, End, Enter, Space, F2 and Delete on the focused row. */
  private onKey(tree: HTMLElement, event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || !(event.target instanceof HTMLElement) || !event.target.classList.contains('tree-row')) return;
    const action = treeKeyAction(this.rows, event.target.dataset.path ?? null, event.key);
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    const row = this.rows.find((candidate) => candidate.path === action.path);
    this.focusedPath = action.path;
    switch (action.type) {
      case 'focus': {
        tree.querySelectorAll<HTMLElement>('.tree-row[tabindex="0"]').forEach((other) => { other.tabIndex = -1; });
        const target = this.rowElement(tree, action.path);
        if (target) { target.tabIndex = 0; target.focus(); }
        return;
      }
      case 'expand':
      case 'collapse':
        if (action.type === 'expand') this.expanded.add(action.path);
        else this.expanded.delete(action.path);
        this.selected = action.path;
        this.refocus = true;
        this.host.changed();
        return;
      case 'activate':
        this.selected = dirname(action.path);
        void this.host.openFile(action.path);
        return;
      case 'rename':
        this.refocus = true;
        void this.rename(action.path).finally(() => { this.refocus = false; });
        return;
      case 'delete':
        this.refocus = true;
        if (row) void this.delete(action.path, row.kind).finally(() => { this.refocus = false; });
    }
  }

  private renderNodes(list: HTMLElement, nodes: TreeNode[], depth: number): void {
    const activePath = this.host.activePath();
    for (const node of nodes) {
      const isFolder = node.kind === 'folder';
      const open = this.expanded.has(node.path);
      this.rows.push({ path: node.path, kind: node.kind, expanded: isFolder && open, parent: dirname(node.path) });
      const row = h('div', {
        class: `tree-row${activePath === node.path ? ' active' : ''}${isFolder && this.selected === node.path ? ' selected' : ''}`,
        style: `padding-left:${8 + depth * 12}px`, role: 'treeitem', 'data-path': node.path, 'data-kind': node.kind,
        'aria-expanded': isFolder ? String(open) : undefined, 'aria-level': depth + 1, 'aria-selected': String(activePath === node.path),
        'aria-label': this.host.isDirty(node.path) ? `${node.name} (unsaved)` : node.name, title: node.path, tabindex: -1,
      },
      isFolder ? h('span', { class: `twisty${open ? ' open' : ''}` }, icon('chevron', 12)) : h('span', { class: 'twisty' }),
      icon(isFolder ? 'folder' : 'file', 14),
      h('span', { class: 'tree-name', text: node.name }),
      this.host.isDirty(node.path) ? h('span', { class: 'dirty-dot', text: '●' }) : null,
      // The row's buttons are for the pointer (the tree is one Tab stop; F2 and Delete do the same from the keyboard).
      h('span', { class: 'row-actions' },
        isFolder ? null : h('button', { class: 'icon-button', type: 'button', title: 'Download', 'aria-label': `Download ${node.name}`, tabindex: -1,
          onclick: (event: Event) => { event.stopPropagation(); void this.download(node.path); } }, icon('download', 14)),
        h('button', { class: 'icon-button', type: 'button', title: 'Rename', 'aria-label': `Rename ${node.name}`, tabindex: -1,
          onclick: (event: Event) => { event.stopPropagation(); void this.rename(node.path); } }, icon('rename', 14)),
        h('button', { class: 'icon-button', type: 'button', title: 'Delete', 'aria-label': `Delete ${node.name}`, tabindex: -1,
          onclick: (event: Event) => { event.stopPropagation(); void this.delete(node.path, node.kind); } }, icon('trash', 14))));
      row.addEventListener('click', () => {
        this.focusedPath = node.path;
        if (isFolder) {
          if (open) this.expanded.delete(node.path);
          else this.expanded.add(node.path);
          this.selected = node.path;
          this.host.changed();
        } else {
          this.selected = dirname(node.path);
          void this.host.openFile(node.path);
        }
      });
      const item = h('li', { role: 'none' }, row);
      list.appendChild(item);
      if (isFolder && open) {
        const children = h('ul', { role: 'group' });
        this.renderNodes(children, node.children, depth + 1);
        item.appendChild(children);
      }
    }
  }

  /** Asks for a name and creates an empty file (then opens it) or a folder in the selected folder. */
  async newEntry(kind: 'file' | 'folder'): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    const where = this.selected ? ` in ${this.selected}` : '';
    const name = await this.dialogs.askText(kind === 'file' ? `New file${where}` : `New folder${where}`, 'Name', '', nameProblem);
    if (!name) return;
    const folder = this.selected;
    const path = join(folder, name);
    if (this.workspace.hasEntry(path)) { this.dialogs.toast(`${path} already exists.`, 'error'); return; }
    await guard(this.dialogs, async () => {
      if (kind === 'file') await this.api.writeFile(project.id, path, '');
      else await this.api.createFolder(project.id, path);
      if (folder) this.expanded.add(folder);
      await this.workspace.reloadTree();
      if (kind === 'file') await this.host.openFile(path);
    });
  }

  async rename(path: string): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    const name = await this.dialogs.askText(`Rename ${basename(path)}`, 'New name', basename(path), nameProblem);
    if (!name || name === basename(path)) return;
    const target = join(dirname(path), name);
    await guard(this.dialogs, async () => {
      await this.api.move(project.id, path, target);
      this.selected = moved(this.selected, path, target);
      this.expanded = new Set([...this.expanded].map((folder) => moved(folder, path, target)));
      await this.host.renamed(path, target);
      const current = this.workspace.project ?? project;
      if (current.entry && isWithin(current.entry, path)) {
        current.entry = moved(current.entry, path, target);
        await this.api.updateProject(current.id, { entry: current.entry });
      }
      await this.workspace.reloadTree();
    });
  }

  async delete(path: string, kind: 'file' | 'folder'): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    const what = kind === 'folder' ? `the folder "${path}" and everything in it` : `"${path}"`;
    if (!await this.dialogs.confirm(`Delete ${basename(path)}`, `Delete ${what}?`, 'Delete')) return;
    await guard(this.dialogs, async () => {
      await this.api.deleteEntry(project.id, path);
      this.host.deleted(path);
      if (isWithin(this.selected, path)) this.selected = dirname(path);
      await this.workspace.reloadTree();
    });
  }

  /** Uploads files into the selected folder; a file with a name the server would refuse is skipped with a note. */
  async upload(files: File[]): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    const folder = this.selected;
    await guard(this.dialogs, async () => {
      for (const file of files) {
        const problem = nameProblem(file.name);
        if (problem) { this.dialogs.toast(`${file.name}: ${problem}`, 'error'); continue; }
        const path = join(folder, file.name);
        await this.api.writeFile(project.id, path, new Uint8Array(await file.arrayBuffer()));
        this.host.replaced(path);
      }
      if (folder) this.expanded.add(folder);
      await this.workspace.reloadTree();
      this.dialogs.toast(files.length === 1 ? `Uploaded ${files[0].name}` : `Uploaded ${files.length} files`);
      this.host.uploaded();
    });
  }

  async download(path: string): Promise<void> {
    const project = this.workspace.project;
    if (!project) return;
    await guard(this.dialogs, async () => {
      const bytes = await this.api.readFile(project.id, path);
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
      const link = h('a', { href: url, download: basename(path) });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }
}
