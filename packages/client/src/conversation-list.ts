// The caller's conversations as a list a UI shows (newest first), framework free: an
// immutable snapshot for useSyncExternalStore, paging, and create / rename / remove that
// change the list at once when the server answers.
import type { StreamClient } from './client.js';
import type { Conversation, ConversationsApi } from './conversations.js';
import { StreamClientError, describeError } from './errors.js';

/** `loading` until the first page arrived (and during refresh()); `error` when a read failed. */
export type ConversationListStatus = 'loading' | 'ready' | 'error';

/** What a ConversationList shows; replaced as a whole on every change. */
export interface ConversationListSnapshot {
  /** Most recently updated first. */
  readonly conversations: readonly Conversation[];
  readonly status: ConversationListStatus;
  readonly error: StreamClientError | null;
  /** More pages wait: loadMore(). */
  readonly hasMore: boolean;
}

/** Options of {@link ConversationList}. */
export interface ConversationListInit {
  client: Pick<StreamClient, 'conversations'>;
  /** Conversations per page (1 to LIMITS.conversationPageMax). Default 50. */
  pageSize?: number;
}

const INITIAL: ConversationListSnapshot = Object.freeze({
  conversations: [],
  status: 'loading',
  error: null,
  hasMore: false,
});

/**
 * The caller's conversations, page by page. Call {@link refresh} first.
 *
 * @example
 * ```ts
 * const list = new ConversationList({ client });
 * list.subscribe(() => render(list.getSnapshot().conversations));
 * await list.refresh();
 * const created = await list.create({ modelId, title: 'Trip to Lisbon' });
 * ```
 */
export class ConversationList {
  private snapshot: ConversationListSnapshot = INITIAL;
  private readonly listeners = new Set<() => void>();
  private nextToken: string | null = null;
  /** Bumped by refresh(): answers of an older read are dropped. */
  private generation = 0;
  /**
   * The local changes (create, rename, remove) since the last refresh began. A refresh's page
   * may have been read before one of them reached the server: they are applied to it again
   * (each is idempotent), so a rename is never undone by a list read that crossed it.
   */
  private editsSinceRefresh: Array<(list: readonly Conversation[]) => Conversation[]> = [];

  constructor(private readonly init: ConversationListInit) {}

  private get api(): ConversationsApi {
    return this.init.client.conversations;
  }

  /** Registers a change listener (useSyncExternalStore's `subscribe`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /** The current snapshot; the same object until something changes. */
  readonly getSnapshot = (): ConversationListSnapshot => this.snapshot;

  /** Reads the first page again (the list is replaced). A failure sets status 'error'. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    this.editsSinceRefresh = [];
    this.set({ status: 'loading', error: null });
    try {
      const page = await this.api.list({ limit: this.init.pageSize ?? 50 });
      if (generation !== this.generation) return;
      this.nextToken = page.nextToken;
      this.set({
        conversations: this.editsSinceRefresh.reduce<Conversation[]>(
          (list, edit) => edit(list),
          page.items,
        ),
        status: 'ready',
        error: null,
        hasMore: page.nextToken !== null,
      });
    } catch (err) {
      if (generation === this.generation) this.set({ status: 'error', error: toError(err) });
    }
  }

  /** Appends the next page (nothing when there is none). A failure sets status 'error'. */
  async loadMore(): Promise<void> {
    if (this.nextToken === null) return;
    const generation = this.generation;
    try {
      const page = await this.api.list({
        limit: this.init.pageSize ?? 50,
        nextToken: this.nextToken,
      });
      if (generation !== this.generation) return;
      this.nextToken = page.nextToken;
      const known = new Set(this.snapshot.conversations.map((c) => c.conversationId));
      this.set({
        conversations: [
          ...this.snapshot.conversations,
          ...page.items.filter((c) => !known.has(c.conversationId)),
        ],
        hasMore: page.nextToken !== null,
      });
    } catch (err) {
      if (generation === this.generation) this.set({ status: 'error', error: toError(err) });
    }
  }

  /**
   * Creates a conversation and puts it first.
   * @throws StreamClientError `INVALID_INPUT` or the operation's failure.
   */
  async create(input: Parameters<ConversationsApi['create']>[0]): Promise<Conversation> {
    const created = await this.api.create(input);
    this.edit(putFirst(created));
    return created;
  }

  /** Renames a conversation; it moves first (its updatedAt is now). */
  async rename(conversationId: string, title: string): Promise<Conversation> {
    const renamed = await this.api.rename(conversationId, title);
    this.edit(putFirst(renamed));
    return renamed;
  }

  /** Deletes a conversation and drops it from the list. */
  async remove(conversationId: string): Promise<void> {
    await this.api.delete(conversationId);
    this.edit((list) => list.filter((c) => c.conversationId !== conversationId));
  }

  /** Applies a local change now, and again to the page of a refresh already in flight. */
  private edit(change: (list: readonly Conversation[]) => Conversation[]): void {
    this.editsSinceRefresh.push(change);
    this.set({ conversations: change(this.snapshot.conversations) });
  }

  private set(change: Partial<ConversationListSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of [...this.listeners]) listener();
  }
}

function toError(err: unknown): StreamClientError {
  return err instanceof StreamClientError
    ? err
    : new StreamClientError('QUERY_FAILED', describeError(err), true, { cause: err });
}

/** A change that puts `conversation` first (replacing its older copy). */
function putFirst(conversation: Conversation) {
  return (list: readonly Conversation[]): Conversation[] => [
    conversation,
    ...list.filter((c) => c.conversationId !== conversation.conversationId),
  ];
}
