/**
 * Builds the document an HTML project's preview shows. The iframe is sandboxed without
 * allow-same-origin, so it runs with an opaque origin: it cannot read the IDE's storage (and
 * token) and cannot fetch the project's files either. So the project's stylesheets and scripts are
 * inlined, and images and other assets become data: URLs.
 */
import { base64OfBytes } from './text';
import { mimeOf, resolve } from './paths';

/** Reads a project file: its bytes, or undefined when there is no such file. */
export type FileLookup = (path: string) => Uint8Array | undefined;

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i;
const utf8 = new TextDecoder();

function attribute(tag: string, name: string): string | null {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return match ? (match[1] ?? match[2] ?? match[3] ?? '') : null;
}

function local(htmlPath: string, reference: string | null, files: FileLookup): { path: string; bytes: Uint8Array } | null {
  if (!reference || EXTERNAL.test(reference.trim())) return null;
  const path = resolve(htmlPath, reference.trim());
  const bytes = path ? files(path) : undefined;
  return path && bytes ? { path, bytes } : null;
}

function dataUrl(path: string, bytes: Uint8Array): string {
  return `data:${mimeOf(path)};base64,${base64OfBytes(bytes)}`;
}

/** Inlined script text must not end the script element early. */
function scriptText(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

function styleText(source: string, cssPath: string, files: FileLookup): string {
  const withAssets = source.replace(/url\(\s*(['"]?)([^'")]+)\1\s*\)/gi, (whole, _quote: string, reference: string) => {
    const file = local(cssPath, reference, files);
    return file ? `url("${dataUrl(file.path, file.bytes)}")` : whole;
  });
  return withAssets.replace(/<\/style/gi, '<\\/style');
}

/** The preview document for the HTML file at `htmlPath` with the project's files inlined. */
export function buildPreview(htmlPath: string, html: string, files: FileLookup): string {
  let result = html.replace(/<link\b[^>]*>/gi, (tag) => {
    const rel = (attribute(tag, 'rel') ?? '').toLowerCase();
    const file = local(htmlPath, attribute(tag, 'href'), files);
    if (!file) return tag;
    if (rel.split(/\s+/).includes('stylesheet')) {
      return `<style data-href="${file.path}">\n${styleText(utf8.decode(file.bytes), file.path, files)}\n</style>`;
    }
    return tag.replace(/(\shref\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s>]+)/i, `$1"${dataUrl(file.path, file.bytes)}"`);
  });
  result = result.replace(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi, (whole, attributes: string) => {
    const file = local(htmlPath, attribute(` ${attributes}`, 'src'), files);
    if (!file) return whole;
    const kept = attributes.replace(/\ssrc\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/i, '');
    return `<script${kept} data-src="${file.path}">\n${scriptText(utf8.decode(file.bytes))}\n</script>`;
  });
  result = result.replace(/<(img|source|audio|video|input|embed|track)\b[^>]*>/gi, (tag) => {
    const file = local(htmlPath, attribute(tag, 'src'), files);
    return file ? tag.replace(/(\ssrc\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s>]+)/i, `$1"${dataUrl(file.path, file.bytes)}"`) : tag;
  });
  result = result.replace(/<style\b([^>]*)>([\s\S]*?)<\/style\s*>/gi, (whole, attributes: string, css: string) =>
    /data-href=/.test(attributes) ? whole : `<style${attributes}>${styleText(css, htmlPath, files)}</style>`);
  return result;
}
