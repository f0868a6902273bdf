/** The Markdown view: GitHub-flavoured Markdown renders; raw HTML and unsafe links never do. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import Markdown, { decodeEntities, safeUrl } from '../src/components/Markdown.js';

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);
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
    expect(out).toContain('<td>2</td>');
    expect(out).toContain(
      '<pre tabindex="0"><code class="language-ts">const x = 1;\n</code></pre>',
    );
    expect(out).toContain(`<a href="https://example.com" ${NEW_TAB}>docs</a>`);
    expect(out).toContain('<del>old</del>');
  });

  it('renders GFM task lists as boxes that are not controls, and autolinks', () => {
    const out = html('- [ ] todo\n- [x] done\n\nsee www.example.com and <https://example.org/a>');
    expect(out).toMatch(/<li><input[^>]*type="checkbox"[^>]*disabled=""[^>]*\/> todo<\/li>/);
    expect(out).toMatch(/<input[^>]*disabled=""[^>]*checked=""[^>]*\/> done/);
    expect(out).toContain(`<a href="http://www.example.com" ${NEW_TAB}>www.example.com</a>`);
    expect(out).toContain(`<a href="https://example.org/a" ${NEW_TAB}>https://example.org/a</a>`);
  });

  it('renders quotes, rules, numbered lists from their start, nested and loose lists, aligned cells', () => {
    expect(html('> quoted *text*\n\n---\n\n3. three\n4. four')).toBe(
      '<div class="markdown"><blockquote><p>quoted <em>text</em></p></blockquote><hr/>' +
        '<ol start="3"><li>three</li><li>four</li></ol></div>',
    );
    expect(html('- a\n  - b\n\n- c')).toBe(
      '<div class="markdown"><ul><li><p>a</p><ul><li>b</li></ul></li><li><p>c</p></li></ul></div>',
    );
    expect(html('| l | r |\n|:--|--:|\n| 1 | 2 |')).toContain(
      '<td style="text-align:left">1</td><td style="text-align:right">2</td>',
    );
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
    // Every `<` of the source arrives escaped: no element other than the Markdown's own.
    expect(out).toBe(
      '<div class="markdown"><p>Hi &lt;b&gt;bold&lt;/b&gt; &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;script&gt;alert(2)&lt;/script&gt;</p>' +
        '<p>&lt;div onclick=&quot;x()&quot;&gt;block&lt;/div&gt;</p><p>&lt;!-- note --&gt;</p></div>',
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
    for (const text of ['>a<', '>b<', '>c<', '>d<', '>e<', '>f<', '>javascript:alert(1)<']) {
      expect(out).toContain(text);
    }
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

  it('an answer still streaming: an open fence is code so far, half-written syntax is text', () => {
    expect(html('```ts\nconst x')).toBe(
      '<div class="markdown"><pre tabindex="0"><code class="language-ts">const x\n</code></pre></div>',
    );
    expect(html('The worker **str')).toBe('<div class="markdown"><p>The worker **str</p></div>');
  });

  it('keeps snake_case names whole and decodes character references in text', () => {
    expect(html('call get_weather and roll_dice; __init__ and *em*')).toBe(
      '<div class="markdown"><p>call get_weather and roll_dice; <strong>init</strong> and <em>em</em></p></div>',
    );
    expect(decodeEntities('a &amp; b &lt;i&gt; &#x41;&#66; &copy; &#0;')).toBe(
      'a & b <i> AB &copy; \ufffd',
    );
  });
});
