import { compiler, RuleType, type MarkdownToJSX } from 'markdown-to-jsx';
import { createElement, useMemo, type ComponentProps } from 'react';

/** Link schemes an answer may use (react-markdown's list); anything else loses its target. */
const SAFE_PROTOCOL = /^(?:https?|ircs?|mailto|xmpp)$/i;

/**
 * A link or image target from model text, or `null` when it is unsafe. Relative targets pass;
 * an absolute one passes only with a scheme above, so `javascript:`, `data:`, `vbscript:` and
 * variants with tabs, spaces or odd case never reach an `href` or `src`.
 */
export function safeUrl(value: string): string | null {
  const colon = value.indexOf(':');
  if (colon === -1) return value;
  // A colon after the first `/`, `?` or `#` is inside a relative target, not a scheme.
  const firstDelimiter = [value.indexOf('/'), value.indexOf('?'), value.indexOf('#')]
    .filter((i) => i !== -1)
    .reduce((a, b) => Math.min(a, b), Infinity);
  if (colon > firstDelimiter) {
    // `java&#115;cript:`: the renderer leaves entities in targets undecoded (harmless as a
    // relative URL), but a target that spells its scheme with one is refused outright.
    return value.slice(0, colon).includes('&') ? null : value;
  }
  return SAFE_PROTOCOL.test(value.slice(0, colon)) ? value : null;
}

// A wide table scrolls inside the answer instead of widening the page (phones).
function ScrollingTable(props: ComponentProps<'table'>) {
  return (
    <div className="table-scroll">
      <table {...props} />
    </div>
  );
}

/** The renderer's code text ends without the newline before a closing fence; CommonMark keeps it. */
const withFinalNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

const OPTIONS: MarkdownToJSX.Options = {
  // Raw HTML in the text shows as the text it is; it never becomes elements.
  disableParsingRawHTML: true,
  // Always blocks (a one-line answer is a paragraph), put in our own `.markdown` element.
  forceBlock: true,
  wrapper: null,
  // Elements from the page's runtime (React or Preact's compat, see vite.config.ts): newer
  // markdown-to-jsx versions write React element objects by hand, which Preact cannot render.
  createElement,
  sanitizer: safeUrl,
  overrides: {
    // Links leave the chat in a new tab and tell the new page nothing about this one.
    a: { props: { target: '_blank', rel: 'noopener noreferrer' } },
    table: ScrollingTable,
    // Task list boxes show the state; they are not controls.
    input: { props: { disabled: true } },
  },
  renderRule(next, node, renderChildren, state) {
    // Fenced code keeps its language as a class; the block scrolls sideways on narrow screens
    // (focusable, so keyboards can scroll it too).
    if (node.type === RuleType.codeBlock) {
      return (
        <pre key={state.key} tabIndex={0}>
          <code className={node.lang ? `language-${node.lang}` : undefined}>
            {withFinalNewline(node.text)}
          </code>
        </pre>
      );
    }
    // Headings get no ids: ids made from model text could repeat across answers or clash
    // with the page's own.
    if (node.type === RuleType.heading) {
      const Heading = `h${node.level}` as const;
      return <Heading key={state.key}>{renderChildren(node.children, state)}</Heading>;
    }
    return next();
  },
};
/**
 * While an answer streams, a code fence that is open so far is closed at the end, so the code
 * shows as code as it arrives (CommonMark runs an unclosed fence to the end of the document;
 * markdown-to-jsx would show it as paragraph text until its closing fence came).
 */
export function closeOpenFence(text: string): string {
  const fences = text.match(/^ {0,3}(?:```|~~~)/gm) ?? [];
  if (fences.length % 2 === 0) return text;
  const last = fences.at(-1)!.trim();
  return `${text}${text.endsWith('\n') ? '' : '\n'}${last}`;
}

/**
 * An answer's text as Markdown (GitHub flavour: tables, task lists, strikethrough, autolinks),
 * with markdown-to-jsx, which builds elements directly (no HTML strings, no innerHTML). Raw
 * HTML in the text is shown as text, never parsed (`disableParsingRawHTML`): the text comes
 * from a model. Link and image targets pass {@link safeUrl}. Loaded lazily: see LazyMarkdown.
 */
export default function Markdown({
  text,
  streaming = false,
}: {
  text: string;
  streaming?: boolean;
}) {
  const content = useMemo(
    () => compiler(streaming ? closeOpenFence(text) : text, OPTIONS),
    [text, streaming],
  );
  return <div className="markdown">{content}</div>;
}
