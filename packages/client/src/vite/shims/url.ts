// Node's legacy `url.parse` as the AppSync links use it (host of the real-time URL; path,
// query and host of the request they sign), on the browser's URL. The bedrockStreamClient()
// Vite plugin gives it to the links for their `import "url"`, in place of the npm `url`
// polyfill, whose query-string stack (qs, object-inspect, ...) is 57 KB of a page.

/** The fields of Node's `url.parse(href)` the links read, for absolute URLs. */
export interface ParsedUrl {
  href: string;
  protocol: string;
  host: string;
  hostname: string;
  port: string | null;
  pathname: string;
  search: string | null;
  query: string | null;
  path: string;
}

export function parse(href: string): ParsedUrl {
  const url = new URL(href);
  const search = url.search || null;
  return {
    href: url.href,
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    port: url.port || null,
    pathname: url.pathname,
    search,
    query: search ? search.slice(1) : null,
    path: url.pathname + (url.search || ''),
  };
}

export default { parse };
