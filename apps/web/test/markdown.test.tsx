/** The Markdown view: GitHub-flavoured Markdown renders; raw HTML and unsafe links never do. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import Markdown from '../src/components/Markdown.js';

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

describe('Markdown answers', () => {
  it('renders code blocks with their language, tables, lists and links', () => {
    const out = html(
      '## Steps\n\n1. one\n2. two\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```\n\n[docs](https://example.com) ~~old~~',
    );
    expect(out).toContain('<h2>Steps</h2>');
    expect(out).toContain('<ol>');
    expect(out).toContain('<div class="table-scroll"><table>');
    expect(out).toContain(
      '<pre tabindex="0"><code class="language-ts">const x = 1;\n</code></pre>',
    );
    expect(out).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer">docs</a>',
    );
    expect(out).toContain('<del>old</del>');
  });

  it('drops raw HTML and unsafe link targets', () => {
    const out = html(
      'Hi <b>bold</b> <img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n[click](javascript:alert(3))',
    );
    expect(out).not.toMatch(/<b>|<img|<script|onerror|javascript:/);
    expect(out).toContain('Hi');
    expect(out).toContain('click');
  });
});
