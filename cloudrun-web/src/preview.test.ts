import { describe, expect, it } from 'vitest';
import { buildPreview } from './preview';

const encoder = new TextEncoder();
const files = new Map<string, Uint8Array>([
  ['style.css', encoder.encode('body { background: url(img/bg.png); color: red }')],
  ['script.js', encoder.encode('document.title = "</script> ok";')],
  ['img/bg.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47])],
  ['img/logo.svg', encoder.encode('<svg/>')],
]);
const lookup = (path: string) => files.get(path);

describe('buildPreview', () => {
  it('inlines stylesheets, scripts and images', () => {
    const html = `<html><head><link rel="stylesheet" href="style.css"><link rel="icon" href="img/logo.svg"></head>
<body><img src='img/bg.png' alt="x"><script src="script.js"></script><script src="https://example.com/x.js"></script></body></html>`;
    const result = buildPreview('index.html', html, lookup);
    expect(result).toContain('<style data-href="style.css">');
    expect(result).toContain('color: red');
    expect(result).toContain('url("data:image/png;base64,iVBORw==")');
    expect(result).toContain('document.title = "<\\/script> ok";');
    expect(result).not.toContain(' src="script.js"');
    expect(result).toContain("src=\"data:image/png;base64,iVBORw==\"");
    expect(result).toContain('href="data:image/svg+xml;base64,');
    expect(result).toContain('src="https://example.com/x.js"');
  });

  it('resolves paths relative to the page and leaves unknown files alone', () => {
    const result = buildPreview('pages/a.html', '<link rel="stylesheet" href="../style.css"><img src="missing.png">', lookup);
    expect(result).toContain('color: red');
    expect(result).toContain('src="missing.png"');
  });
});
