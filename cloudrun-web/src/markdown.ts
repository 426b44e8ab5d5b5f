/**
 * A tiny, safe Markdown renderer for the AI assistant's replies. The text is parsed into blocks and
 * inline spans, then built as DOM nodes whose text goes in through text nodes only: nothing the model
 * wrote ever becomes HTML, so a `<script>` in a reply shows as text. Supports paragraphs, headings,
 * fenced code blocks (also unterminated ones, while a reply streams in), bullet and numbered lists,
 * `inline code`, **bold** and *italic*.
 */

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] };

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'code'; language: string; text: string }
  | { type: 'list'; ordered: boolean; items: Inline[][] };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (paragraph.length) blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
    paragraph = [];
    if (list) blocks.push({ type: 'list', ordered: list.ordered, items: list.items.map(parseInline) });
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const marker = fence[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i].trim().startsWith(marker[0].repeat(marker.length)) && lines[i].trim().replace(new RegExp(`^\\${marker[0]}+`), '') === '')) {
        body.push(lines[i]);
        i++;
      }
      blocks.push({ type: 'code', language: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ type: 'heading', level: heading[1].length, children: parseInline(heading[2]) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const ordered = !!numbered;
      if (paragraph.length || (list && list.ordered !== ordered)) flush();
      if (!list) list = { ordered, items: [] };
      list.items.push((bullet ?? numbered)![1]);
      continue;
    }
    if (list && /^\s+\S/.test(line)) {
      // A continuation line of the last list item.
      list.items[list.items.length - 1] += `\n${line.trim()}`;
      continue;
    }
    if (list) flush();
    paragraph.push(line);
  }
  flush();
  return blocks;
}

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  const pushText = () => {
    if (plain) out.push({ type: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && /[\\`*_#\-+.!\[\]()]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let ticks = 1;
      while (text[i + ticks] === '`') ticks++;
      const fence = '`'.repeat(ticks);
      const close = text.indexOf(fence, i + ticks);
      if (close > 0) {
        pushText();
        out.push({ type: 'code', text: text.slice(i + ticks, close).replace(/^ (.*) $/s, '$1') });
        i = close + ticks;
        continue;
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] === c) {
      const marker = c + c;
      const close = text.indexOf(marker, i + 2);
      if (close > i + 2 && text[i + 2] !== ' ') {
        pushText();
        out.push({ type: 'strong', children: parseInline(text.slice(i + 2, close)) });
        i = close + 2;
        continue;
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] !== c && text[i + 1] !== ' ' && text[i + 1] !== undefined) {
      // '_' inside a word (snake_case) is not emphasis.
      const wordBefore = c === '_' && i > 0 && /\w/.test(text[i - 1]);
      let close = text.indexOf(c, i + 1);
      while (close > 0 && c === '_' && /\w/.test(text[close + 1] ?? '')) close = text.indexOf(c, close + 1);
      if (!wordBefore && close > i + 1 && text[close - 1] !== ' ' && text[close + 1] !== c) {
        pushText();
        out.push({ type: 'em', children: parseInline(text.slice(i + 1, close)) });
        i = close + 1;
        continue;
      }
    }
    plain += c;
    i++;
  }
  pushText();
  return out;
}

/** The part of the DOM the renderer uses, so it also runs against a stand-in document in tests. */
export interface DocumentLike {
  createElement(tag: string): ElementLike;
  createTextNode(text: string): unknown;
}
export interface ElementLike {
  appendChild(node: never): unknown;
  setAttribute(name: string, value: string): void;
  className: string;
}

function inlineNodes(doc: DocumentLike, parent: ElementLike, inlines: Inline[]): void {
  const add = (node: unknown) => parent.appendChild(node as never);
  for (const inline of inlines) {
    if (inline.type === 'text') {
      const lines = inline.text.split('\n');
      lines.forEach((line, index) => {
        if (index > 0) add(doc.createElement('br'));
        if (line) add(doc.createTextNode(line));
      });
    } else if (inline.type === 'code') {
      const code = doc.createElement('code');
      code.appendChild(doc.createTextNode(inline.text) as never);
      add(code);
    } else {
      const element = doc.createElement(inline.type);
      inlineNodes(doc, element, inline.children);
      add(element);
    }
  }
}

/** Renders Markdown into DOM nodes (text only through text nodes). */
export function renderMarkdown(source: string, doc: DocumentLike = document as unknown as DocumentLike): ElementLike {
  const root = doc.createElement('div');
  root.className = 'markdown';
  const add = (node: unknown) => root.appendChild(node as never);
  for (const block of parseMarkdown(source)) {
    if (block.type === 'paragraph') {
      const p = doc.createElement('p');
      inlineNodes(doc, p, block.children);
      add(p);
    } else if (block.type === 'heading') {
      const heading = doc.createElement(`h${Math.min(6, block.level + 2)}`);
      inlineNodes(doc, heading, block.children);
      add(heading);
    } else if (block.type === 'code') {
      const pre = doc.createElement('pre');
      const code = doc.createElement('code');
      if (block.language) code.setAttribute('data-language', block.language);
      code.appendChild(doc.createTextNode(block.text) as never);
      pre.appendChild(code as never);
      add(pre);
    } else {
      const list = doc.createElement(block.ordered ? 'ol' : 'ul');
      for (const item of block.items) {
        const li = doc.createElement('li');
        inlineNodes(doc, li, item);
        list.appendChild(li as never);
      }
      add(list);
    }
  }
  return root;
}
