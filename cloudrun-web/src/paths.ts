/** Path helpers for project files. Paths are relative, '/'-separated, without leading './'. */

export interface Entry {
  path: string;
  kind: 'file' | 'folder';
  sizeBytes: number;
}

export interface TreeNode {
  name: string;
  path: string;
  kind: 'file' | 'folder';
  children: TreeNode[];
}

/** The normal form the server also uses: no leading './' or '/', no trailing '/', no empty segments. */
export function normalize(path: string): string {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

export function basename(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? path : path.slice(index + 1);
}

export function dirname(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}

export function join(folder: string, name: string): string {
  return normalize(folder ? `${folder}/${name}` : name);
}

/** The extension with its dot, lower case ('' when none): 'src/App.JAVA' gives '.java'. */
export function extension(path: string): string {
  const name = basename(path);
  const index = name.lastIndexOf('.');
  return index <= 0 ? '' : name.slice(index).toLowerCase();
}

/** Whether `path` is `ancestor` or lies inside it. */
export function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** Where `path` ends up when `from` is moved to `to` (unchanged when it is not inside `from`). */
export function moved(path: string, from: string, to: string): string {
  return isWithin(path, from) ? to + path.slice(from.length) : path;
}

/** Resolves a reference such as '../css/site.css' found in the file at `fromFile`; null if it leaves the project. */
export function resolve(fromFile: string, reference: string): string | null {
  const clean = reference.split(/[?#]/)[0];
  const segments = clean.startsWith('/') ? [] : dirname(fromFile).split('/').filter(Boolean);
  for (const segment of clean.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(decodeURIComponentSafe(segment));
    }
  }
  return segments.length === 0 ? null : segments.join('/');
}

function decodeURIComponentSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Why a file or folder name is not acceptable, or null when it is. */
export function nameProblem(name: string): string | null {
  if (name.trim() === '') return 'The name is empty.';
  if (name === '.' || name === '..') return 'The name cannot be "." or "..".';
  if (/[\\/:*?"<>|\x00-\x1f\x7f]/.test(name)) return 'The name cannot hold / \\ : * ? " < > | or control characters.';
  if (name.length > 255) return 'The name is too long.';
  return null;
}

/** The folder tree of a flat entry list (folders first, then files, each alphabetical); implicit folders are added. */
export function buildTree(entries: Entry[]): TreeNode {
  const root: TreeNode = { name: '', path: '', kind: 'folder', children: [] };
  const folders = new Map<string, TreeNode>([['', root]]);
  const folderFor = (path: string): TreeNode => {
    const existing = folders.get(path);
    if (existing) return existing;
    const node: TreeNode = { name: basename(path), path, kind: 'folder', children: [] };
    folders.set(path, node);
    folderFor(dirname(path)).children.push(node);
    return node;
  };
  for (const entry of entries) {
    if (entry.kind === 'folder') {
      folderFor(entry.path);
    } else {
      folderFor(dirname(entry.path)).children.push({ name: basename(entry.path), path: entry.path, kind: 'file', children: [] });
    }
  }
  const sort = (node: TreeNode): void => {
    node.children.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
    node.children.forEach(sort);
  };
  sort(root);
  return root;
}

const MONACO_BY_EXTENSION: Record<string, string> = {
  '.css': 'css',
  '.json': 'json',
  '.md': 'markdown',
  '.ts': 'typescript',
  '.xml': 'xml',
  '.yml': 'yaml',
  '.yaml': 'yaml',
  '.txt': 'plaintext',
};

/** What the language list says about one language (the fields the IDE uses). */
export interface LanguageInfo {
  id: string;
  displayName: string;
  extensions: string[];
  monacoLanguage: string;
  sourceFile: string;
  template: string;
  previewOnly: boolean;
}

/** The CloudRun language a file runs as, if any. */
export function languageOfFile(path: string, languages: LanguageInfo[]): LanguageInfo | undefined {
  const ext = extension(path);
  return ext ? languages.find((language) => language.extensions.includes(ext)) : undefined;
}

/** The Monaco language mode for a file. */
export function monacoLanguageOf(path: string, languages: LanguageInfo[]): string {
  return languageOfFile(path, languages)?.monacoLanguage ?? MONACO_BY_EXTENSION[extension(path)] ?? 'plaintext';
}

const MIME_BY_EXTENSION: Record<string, string> = {
  '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
  '.gif': 'image/gif', '.webp': 'image/webp', '.ico': 'image/x-icon', '.txt': 'text/plain', '.woff2': 'font/woff2',
  '.woff': 'font/woff', '.ttf': 'font/ttf', '.mp3': 'audio/mpeg', '.wav': 'audio/wav', '.mp4': 'video/mp4',
};

export function mimeOf(path: string): string {
  return MIME_BY_EXTENSION[extension(path)] ?? 'application/octet-stream';
}
