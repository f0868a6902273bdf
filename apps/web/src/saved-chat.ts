import { z } from 'zod';
import type { Turn } from './conversation.js';

/**
 * What the page keeps in sessionStorage so a reload (or a tab the browser discarded) comes
 * back to the same chat: the turns, and the id of the answer being written, which the page
 * then resumes (`useBedrockStream({ resumeStreamId })`): stored text at once, then live.
 * sessionStorage is per tab, so two tabs are two chats, and it ends with the tab.
 */
export interface SavedChat {
  history: Turn[];
  /** The stream of the answer in flight, to resume; null when no answer is pending. */
  activeStreamId: string | null;
}

const TurnSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('USER'), text: z.string() }),
  z.object({
    role: z.literal('ASSISTANT'),
    text: z.string(),
    status: z.enum(['done', 'cancelled', 'error']),
    error: z.string().optional(),
    figures: z.string(),
  }),
]);

/** Storage is input like any other: another version of the page may have written it. */
const SavedChatSchema = z.object({
  v: z.literal(1),
  history: z.array(TurnSchema),
  activeStreamId: z.string().nullable(),
});

/** The sessionStorage key. */
export const SAVED_CHAT_KEY = 'bedrock-stream-web:chat';

const EMPTY: SavedChat = { history: [], activeStreamId: null };

/** The page's sessionStorage, or none where it is missing or refused (privacy modes). */
export function pageStorage(): Pick<Storage, 'getItem' | 'setItem'> | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/** The chat saved in `storage`; an empty chat when there is none or it does not parse. */
export function loadChat(storage = pageStorage()): SavedChat {
  try {
    const raw = storage?.getItem(SAVED_CHAT_KEY);
    if (!raw) return EMPTY;
    const parsed = SavedChatSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return EMPTY;
    return { history: parsed.data.history, activeStreamId: parsed.data.activeStreamId };
  } catch {
    return EMPTY;
  }
}

/** Saves the chat (best effort: a full or refused storage only loses the reload). */
export function saveChat(chat: SavedChat, storage = pageStorage()): void {
  try {
    storage?.setItem(SAVED_CHAT_KEY, JSON.stringify({ v: 1, ...chat }));
  } catch {
    // Quota or privacy mode: the chat still works, it just will not survive a reload.
  }
}
