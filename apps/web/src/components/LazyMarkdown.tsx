import { lazy, Suspense } from 'react';

// The Markdown renderer (marked and a renderer to elements, about 16 KB gzipped) is
// a separate chunk: the page's first load stays small, and the chunk arrives while the
// first answer starts streaming.
const Markdown = lazy(() => import('./Markdown.js'));

/** Starts loading the Markdown chunk early (e.g. when a conversation opens). */
export function preloadMarkdown(): void {
  void import('./Markdown.js');
}

/** Markdown text; plain text until the renderer's chunk has loaded. */
export function LazyMarkdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<p className="plain-text">{text}</p>}>
      <Markdown text={text} />
    </Suspense>
  );
}
