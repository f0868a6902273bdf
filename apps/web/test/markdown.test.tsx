/** The Markdown view: GitHub-flavoured Markdown renders; raw HTML and unsafe links never do. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import Markdown, { closeOpenFence, safeUrl } from '../src/components/Markdown.js';

const html = (text: string, streaming = false) =>
  renderToStaticMarkup(<Markdown text={text} streaming={streaming} />);
const NEW_TAB = 'target="_blank" rel="noopener noreferrer"';

describe('Markdown answers', () => {
  it('renders code blocks with their language, tables, lists and links', () => {
    const out = html(
      '## Steps\n\n1. one\n2. two\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```\n\n[docs](https://example.com) ~~old~~',
    );
    expect(out).toMatch(/^<div class="markdown"><h2>Steps<\/h2>/);
    expect(out).toContain('<ol');
    expect(out).toContain('<li>two</li>');
    expect(out).toContain('<div class="table-scroll"><table>');
    expect(out).toMatch(/<td>\s*2\s*<\/td>/);
    expect(out).toContain(
      '<pre tabindex="0"><code class="language-ts">const x = 1;\n</code></pre>',
    );
    expect(out).toContain(`<a href="https://example.com" ${NEW_TAB}>docs</a>`);
    expect(out).toContain('<del>old</del>');
  });

  it('renders GFM task lists as boxes that are not controls, and autolinks', () => {
    // Bare `www.` text stays text (markdown-to-jsx 7 links URLs with a scheme only).
    const out = html(
      '- [ ] todo\n- [x] done\n\nsee https://www.example.com and <https://example.org/a>',
    );
    expect(out).toMatch(/<li><input[^>]*type="checkbox"[^>]*disabled=""[^>]*\/> todo<\/li>/);
    expect(out).toMatch(/<input[^>]*disabled=""[^>]*checked=""[^>]*\/> done/);
    expect(out).toContain(
      `<a href="https://www.example.com" ${NEW_TAB}>https://www.example.com</a>`,
    );
    expect(out).toContain(`<a href="https://example.org/a" ${NEW_TAB}>https://example.org/a</a>`);
  });

  it('a one-line answer is a paragraph; headings carry no ids from the text', () => {
    expect(html('Hello')).toBe('<div class="markdown"><p>Hello</p></div>');
    expect(html('# root\n\n## root')).toBe(
      '<div class="markdown"><h1>root</h1><h2>root</h2></div>',
    );
  });

  it('shows raw HTML as text, never as elements', () => {
    const out = html(
      'Hi <b>bold</b> <img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n<div onclick="x()">block</div>\n\n<!-- note -->',
    );
    // Every `<` of the source arrives escaped: no element other than the Markdown's own (an
    // HTML comment is dropped).
    expect(out).toBe(
      '<div class="markdown"><p>Hi &lt;b&gt;bold&lt;/b&gt; &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;script&gt;alert(2)&lt;/script&gt;</p>' +
        '<p>&lt;div onclick=&quot;x()&quot;&gt;block&lt;/div&gt;</p></div>',
    );
  });

  it('drops unsafe link and image targets, keeping their text', () => {
    const out = html(
      '[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](java&#115;cript:alert(1)) ' +
        '[d](<java\tscript:alert(1)>) [e](data:text/html,x) [f](vbscript:x) <javascript:alert(1)> ' +
        '![g](javascript:alert(1)) [ok](mailto:a@example.com) [rel](docs/a:b)',
    );
    expect(out).not.toMatch(/href="(?!mailto:a@example\.com"|docs\/a:b")/);
    expect(out).not.toContain('src=');
    for (const text of ['>a<', '>b<', '>c<', '>e<', '>f<', '>javascript:alert(1)<']) {
      expect(out).toContain(text);
    }
    // A target with a tab in it is no link at all: it stays as the text it is.
    expect(out).toContain('[d](&lt;java');
    expect(out).toContain('<img alt="g"/>');
    expect(out).toContain(`<a href="mailto:a@example.com" ${NEW_TAB}>ok</a>`);
  });

  it('safeUrl passes relative targets and web/mail schemes only', () => {
    expect(safeUrl('https://example.com/a?b#c')).toBe('https://example.com/a?b#c');
    expect(safeUrl('/path:with-colon')).toBe('/path:with-colon');
    expect(safeUrl('?q=a:b')).toBe('?q=a:b');
    expect(safeUrl('#x:y')).toBe('#x:y');
    expect(safeUrl('mailto:a@example.com')).toBe('mailto:a@example.com');
    for (const unsafe of [
      'javascript:x',
      ' javascript:x',
      'java\tscript:x',
      'data:x',
      'file:///etc',
    ]) {
      expect(safeUrl(unsafe)).toBeNull();
    }
  });

  it('while streaming, a code fence open so far shows as code; the rest shows as written', () => {
    expect(html('```ts\nconst x', true)).toBe(
      '<div class="markdown"><pre tabindex="0"><code class="language-ts">const x\n</code></pre></div>',
    );
    expect(closeOpenFence('Text\n~~~\nx = 1\n')).toBe('Text\n~~~\nx = 1\n~~~');
    // A closed fence is left alone.
    expect(closeOpenFence('```\na\n```\n')).toBe('```\na\n```\n');
    expect(html('The worker **str', true)).toBe(
      '<div class="markdown"><p>The worker **str</p></div>',
    );
  });
});
