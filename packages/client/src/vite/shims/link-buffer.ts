// The `Buffer` the bedrockStreamClient() Vite plugin gives aws-appsync-subscription-link as a
// module-local import, in place of the global it reads. The link's one use is
// `Buffer.from(headerString).toString("base64")` (its handshake header in the real-time URL);
// the plugin fails the build if the link uses Buffer in any other way. A full `buffer`
// polyfill is 8 KB gzipped; this is the UTF-8 → base64 it needs, on TextEncoder and btoa.

/** What `Buffer.from(string)` returns here: text that can only be read as base64. */
export interface Base64OnlyBuffer {
  toString(encoding: 'base64'): string;
}

function utf8ToBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `Buffer.from(text).toString('base64')`, and nothing else of Node's Buffer. */
export const Buffer = {
  from(value: unknown): Base64OnlyBuffer {
    if (typeof value !== 'string') {
      throw new TypeError(
        'bedrockStreamClient(): the subscription link’s Buffer only encodes strings (Buffer.from(string))',
      );
    }
    return {
      toString(encoding: string) {
        if (encoding !== 'base64') {
          throw new TypeError(
            `bedrockStreamClient(): the subscription link’s Buffer only encodes to base64, not ${String(encoding)}`,
          );
        }
        return utf8ToBase64(value);
      },
    };
  },
};
