import { Lexer, type Token, type Tokens } from 'marked';
import { Fragment, useMemo, type ReactNode } from 'react';

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
    // `java&#115;cript:`: entities in targets stay undecoded (harmless as a relative URL),
    // but a target that spells its scheme with one is refused outright.
    return value.slice(0, colon).includes('&') ? null : value;
  }
  return SAFE_PROTOCOL.test(value.slice(0, colon)) ? value : null;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/**
 * Text as the reader should see it: marked leaves character references in text as written (its
 * own HTML output lets the browser decode them). Numeric ones and the common named ones are
 * decoded; any other name shows as written.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : +ref.slice(1);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
  });
}

/** The code text without its final newline; CommonMark's HTML keeps one. */
const withFinalNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/** Inline tokens as elements. Raw HTML is text; link and image targets pass {@link safeUrl}. */
function inline(tokens: Token[] | undefined): ReactNode[] {
  return (tokens ?? []).map((token, key) => {
    const t = token as Tokens.Generic;
    switch (token.type) {
      case 'text':
        return t.tokens ? (
          <Fragment key={key}>{inline(t.tokens)}</Fragment>
        ) : (
          decodeEntities(t.text as string)
        );
      case 'escape':
      case 'html':
        return t.text as string;
      case 'codespan':
        return <code key={key}>{t.text as string}</code>;
      case 'strong':
        return <strong key={key}>{inline(t.tokens)}</strong>;
      case 'em':
        return <em key={key}>{inline(t.tokens)}</em>;
      case 'del':
        return <del key={key}>{inline(t.tokens)}</del>;
      case 'br':
        return <br key={key} />;
      case 'checkbox':
        // Task list boxes show the state; they are not controls.
        return (
          <Fragment key={key}>
            <input type="checkbox" checked={!!t['checked']} disabled readOnly />{' '}
          </Fragment>
        );
      case 'link': {
        const link = token as Tokens.Link;
        // Links leave the chat in a new tab and tell the new page nothing about this one.
        return (
          <a
            key={key}
            href={safeUrl(link.href) ?? undefined}
            title={link.title ?? undefined}
            target="_blank"
            rel="noopener noreferrer"
          >
            {inline(link.tokens)}
          </a>
        );
      }
      case 'image': {
        const image = token as Tokens.Image;
        return (
          <img
            key={key}
            src={safeUrl(image.href) ?? undefined}
            alt={decodeEntities(image.text)}
            title={image.title ?? undefined}
          />
        );
      }
      default:
        // A token type this renderer does not know (a newer marked): its source, as text.
        return token.raw;
    }
  });
}

/** One list item: a tight item's text is inline, a loose item's paragraphs are blocks. */
function listItem(item: Tokens.ListItem, key: number): ReactNode {
  return <li key={key}>{blocks(item.tokens)}</li>;
}

/** Block tokens as elements. */
function blocks(tokens: Token[]): ReactNode[] {
  return tokens.map((token, key) => {
    switch (token.type) {
      case 'space':
      case 'def':
        return null;
      case 'paragraph':
        return <p key={key}>{inline(token.tokens)}</p>;
      case 'text': // a tight list item's text
      case 'checkbox':
        return <Fragment key={key}>{inline([token])}</Fragment>;
      case 'heading': {
        // Headings get no ids: ids made from model text could repeat across answers or clash
        // with the page's own.
        const Heading = `h${(token as Tokens.Heading).depth}` as 'h1';
        return <Heading key={key}>{inline(token.tokens)}</Heading>;
      }
      case 'code': {
        // The language stays as a class; the block scrolls sideways on narrow screens
        // (focusable, so keyboards can scroll it too). An unclosed fence (an answer still
        // streaming) is code to the end, as CommonMark says.
        const code = token as Tokens.Code;
        const lang = code.lang?.split(/\s/)[0];
        return (
          <pre key={key} tabIndex={0}>
            <code className={lang ? `language-${lang}` : undefined}>
              {withFinalNewline(code.text)}
            </code>
          </pre>
        );
      }
      case 'blockquote':
        return <blockquote key={key}>{blocks((token as Tokens.Blockquote).tokens)}</blockquote>;
      case 'list': {
        const list = token as Tokens.List;
        const items = list.items.map(listItem);
        if (!list.ordered) return <ul key={key}>{items}</ul>;
        const start = Number(list.start);
        return (
          <ol key={key} start={Number.isInteger(start) && start !== 1 ? start : undefined}>
            {items}
          </ol>
        );
      }
      case 'table': {
        const table = token as Tokens.Table;
        const cell = (c: Tokens.TableCell, i: number, Tag: 'th' | 'td') => (
          <Tag key={i} style={c.align ? { textAlign: c.align } : undefined}>
            {inline(c.tokens)}
          </Tag>
        );
        // A wide table scrolls inside the answer instead of widening the page (phones).
        return (
          <div key={key} className="table-scroll">
            <table>
              <thead>
                <tr>{table.header.map((c, i) => cell(c, i, 'th'))}</tr>
              </thead>
              <tbody>
                {table.rows.map((row, r) => (
                  <tr key={r}>{row.map((c, i) => cell(c, i, 'td'))}</tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      }
      case 'hr':
        return <hr key={key} />;
      case 'html':
        // Raw HTML in the text shows as the text it is; it never becomes elements.
        return <p key={key}>{token.text.trimEnd()}</p>;
      default:
        // A block type this renderer does not know: its source, as text.
        return <p key={key}>{token.raw.trimEnd()}</p>;
    }
  });
}

/**
 * An answer's text as Markdown (GitHub flavour: tables, task lists, strikethrough, autolinks).
 * marked parses it into tokens, and {@link blocks} turns those into elements directly: no HTML
 * strings, no innerHTML, so raw HTML in the text (it comes from a model) shows as text and
 * link and image targets pass {@link safeUrl}. Loaded lazily: see LazyMarkdown.
 */
export default function Markdown({ text }: { text: string }) {
  const content = useMemo(() => blocks(Lexer.lex(text, { gfm: true })), [text]);
  return <div className="markdown">{content}</div>;
}
