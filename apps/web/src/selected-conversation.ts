/**
 * The open conversation lives in the page's URL (`#c=<conversationId>`): a reload, a
 * bookmark or the Back button reopens it, and the server holds everything else (messages,
 * and the answer still streaming, which the chat joins). Ids are checked like any input.
 */
const HASH = /^#c=([A-Za-z0-9-]{1,64})$/;

/** The conversation id in a location hash, or null. */
export function conversationIdFrom(hash: string): string | null {
  return HASH.exec(hash)?.[1] ?? null;
}

/** The location hash that opens `conversationId` ('' for a new chat). */
export function hashFor(conversationId: string | null): string {
  return conversationId ? `#c=${conversationId}` : '';
}
