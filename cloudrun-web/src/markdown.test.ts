import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, renderMarkdown, type DocumentLike, type ElementLike } from './markdown';

/** A stand-in DOM that serialises like innerHTML, escaping text the way a browser does. */
class FakeText {
  constructor(readonly text: string) {}
  html(): string {
    return this.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }
}
class FakeElement implements ElementLike {
  className = '';
  readonly attributes: Array<[string, string]> = [];
  readonly children: Array<FakeElement | FakeText> = [];
  constructor(readonly tag: string) {}
  appendChild(node: never): unknown {
    this.children.push(node);
    return node;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.push([name, value]);
  }
  html(): string {
    const attrs = this.attributes.map(([name, value]) => ` ${name}="${value.replace(/"/g, '&quot;')}"`).join('');
    if (this.tag === 'br') return '<br>';
    return `<${this.tag}${attrs}>${this.children.map((child) => child.html()).join('')}</${this.tag}>`;
  }
}
const fakeDocument: DocumentLike = {
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(text),
};
const html = (markdown: string) => (renderMarkdown(markdown, fakeDocument) as FakeElement).children.map((child) => child.html()).join('');

describe('markdown', () => {
  it('renders paragraphs, inline code, bold and italic', () => {
    expect(html('The name `nme` is **not defined**.\nUse *name*.\n\nSecond.'))
      .toBe('<p>The name <code>nme</code> is <strong>not defined</strong>.<br>Use <em>name</em>.</p><p>Second.</p>');
  });

  it('renders fenced code blocks verbatim, with their language', () => {
    expect(html('Fix:\n\n```python\nprint(x * 2)  # **not bold**\n```\nDone.'))
      .toBe('<p>Fix:</p><pre><code data-language="python">print(x * 2)  # **not bold**</code></pre><p>Done.</p>');
  });

  it('shows an unterminated fence (a reply still streaming) as code', () => {
    expect(parseMarkdown('```js\nconsole.log(1)')).toEqual([{ type: 'code', language: 'js', text: 'console.log(1)' }]);
  });

  it('renders bullet and numbered lists and headings', () => {
    expect(html('## Why\n- one\n- `two`\n\n1. first\n2. second'))
      .toBe('<h4>Why</h4><ul><li>one</li><li><code>two</code></li></ul><ol><li>first</li><li>second</li></ol>');
  });

  it('never turns model text into HTML', () => {
    const out = html('<script>alert(1)</script> <img src=x onerror=alert(2)> **<b>bold</b>**\n\n```\n</code></pre><script>x</script>\n```');
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('<strong>&lt;b&gt;bold&lt;/b&gt;</strong>');
    expect(out).toContain('&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;');
  });

  it('leaves snake_case and lone stars alone', () => {
    expect(parseInline('use my_var_name and 2 * 3')).toEqual([{ type: 'text', text: 'use my_var_name and 2 * 3' }]);
  });
});
