import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

// Links leave the chat in a new tab and tell the new page nothing about this one.
const COMPONENTS: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer" />,
  // A wide table scrolls inside the answer instead of widening the page (phones).
  table: ({ node: _node, ...props }) => (
    <div className="table-scroll">
      <table {...props} />
    </div>
  ),
  // Fenced code keeps its language as a label; the block scrolls sideways on narrow screens.
  pre: ({ node: _node, children, ...props }) => (
    <pre {...props} tabIndex={0}>
      {children}
    </pre>
  ),
};

/**
 * An answer's text as Markdown (GitHub flavour: tables, task lists, strikethrough, autolinks).
 * Raw HTML in the text is dropped (`skipHtml`), never rendered: the text comes from a model.
 * react-markdown builds React elements (no innerHTML) and its default `urlTransform` removes
 * `javascript:` and other unsafe link targets. Loaded lazily: see LazyMarkdown.
 */
export default function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml components={COMPONENTS}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
