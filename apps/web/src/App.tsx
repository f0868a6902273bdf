import type { UsageReport } from '@org/bedrock-stream-client';
import { useConversations } from '@org/bedrock-stream-client/react';
import type { UserPart } from '@org/bedrock-stream-contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ChatPane } from './components/ChatPane.js';
import { ConversationChat } from './components/ConversationChat.js';
import { MenuIcon } from './components/icons.js';
import { preloadMarkdown } from './components/LazyMarkdown.js';
import { Sidebar } from './components/Sidebar.js';
import type { WebConfig } from './config.js';
import { errorText, textOf, titleFrom } from './conversation.js';
import { DICE_TOOL } from './demo-tool.js';
import { usageSummary } from './quota.js';
import { conversationIdFrom, hashFor } from './selected-conversation.js';

/** When usage and list are read again after an answer ends (the server's writes land just after). */
const USAGE_REREAD_MS = 1_500;

function EmptyChat() {
  return (
    <>
      <p>Ask anything: the answer streams in as the model writes it.</p>
      <p className="muted">
        Attach images or documents (pick, paste or drop them here). Ask to <code>{DICE_TOOL}</code>{' '}
        and the page rolls them in your browser.
      </p>
    </>
  );
}

/**
 * The chat app: the owner's conversations in a sidebar (a drawer at phone width), the open
 * conversation (its id in the URL, so a reload reopens it) and the composer. A new chat has
 * no conversation until its first message: sending creates one titled after that message.
 */
export function App({
  config,
  loadUsage,
}: {
  config: WebConfig;
  /** Reads the user's usage today (`client.usage()`); the header shows it when given. */
  loadUsage?: () => Promise<UsageReport>;
}) {
  const conversations = useConversations();
  const [selectedId, setSelectedId] = useState(() => conversationIdFrom(location.hash));
  const [draft, setDraft] = useState<{ conversationId: string; parts: UserPart[] } | null>(null);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [modelId, setModelId] = useState(config.defaultModelId ?? config.allowedModelIds[0]!);
  const [thinking, setThinking] = useState(false);
  const [usage, setUsage] = useState<UsageReport | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const selected = conversations.conversations.find((c) => c.conversationId === selectedId);

  useEffect(preloadMarkdown, []);
  // The drawer (phone width): Escape closes it.
  useEffect(() => {
    if (!sidebarOpen) return;
    const close = (e: KeyboardEvent) => e.key === 'Escape' && setSidebarOpen(false);
    addEventListener('keydown', close);
    return () => removeEventListener('keydown', close);
  }, [sidebarOpen]);
  // Back/Forward and edited URLs open the conversation they name.
  useEffect(() => {
    const follow = () => setSelectedId(conversationIdFrom(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);

  const select = useCallback((id: string | null) => {
    if (location.hash !== hashFor(id)) {
      history.pushState(null, '', hashFor(id) || location.pathname + location.search);
    }
    setSelectedId(id);
    setStartError(null);
    setSidebarOpen(false);
  }, []);

  const refreshUsage = useCallback(() => {
    if (!loadUsage) return () => undefined;
    let current = true;
    const load = () =>
      loadUsage().then(
        (report) => current && setUsage(report),
        () => undefined,
      );
    void load();
    const again = setTimeout(() => void load(), USAGE_REREAD_MS);
    return () => {
      current = false;
      clearTimeout(again);
    };
  }, [loadUsage]);
  useEffect(refreshUsage, [refreshUsage]);

  // The list is read again when an answer ends (its order and "answering…" change).
  const refreshList = useRef(conversations.refresh);
  refreshList.current = conversations.refresh;
  const onSettled = useCallback(() => {
    void refreshList.current();
    refreshUsage();
    // The worker clears the conversation's active answer just after the end reaches the page.
    setTimeout(() => void refreshList.current(), USAGE_REREAD_MS);
  }, [refreshUsage]);

  // A new chat's first message: create the conversation (titled after it), then open it;
  // ConversationChat sends the message once the new conversation has loaded.
  const start = async (parts: UserPart[]) => {
    setStartError(null);
    setCreating(true);
    try {
      const created = await conversations.create({ modelId, title: titleFrom(textOf(parts)) });
      setDraft({ conversationId: created.conversationId, parts });
      select(created.conversationId);
    } catch (error) {
      setStartError(errorText(error as Error));
    } finally {
      setCreating(false);
    }
  };

  const remove = async (id: string) => {
    if (id === selectedId) select(null);
    await conversations.remove(id);
  };

  return (
    <div className={sidebarOpen ? 'app sidebar-open' : 'app'}>
      <Sidebar
        conversations={conversations.conversations}
        selectedId={selectedId}
        loading={conversations.status === 'loading'}
        error={conversations.error ? errorText(conversations.error) : null}
        hasMore={conversations.hasMore}
        onNew={() => select(null)}
        onSelect={select}
        onRename={(id, title) => void conversations.rename(id, title)}
        onDelete={(id) => void remove(id)}
        onLoadMore={() => void conversations.loadMore()}
        open={sidebarOpen}
      />
      {sidebarOpen && (
        <button
          type="button"
          className="backdrop"
          aria-label="Close conversations"
          onClick={() => setSidebarOpen(false)}
        />
      )}
      <main className="chat">
        <header className="topbar">
          <button
            type="button"
            className="icon menu"
            data-testid="menu"
            aria-label="Conversations"
            aria-expanded={sidebarOpen}
            onClick={() => setSidebarOpen((open) => !open)}
          >
            <MenuIcon />
          </button>
          <h1 data-testid="title">
            {selected?.title ?? (selectedId ? 'Conversation' : 'New chat')}
          </h1>
          <div className="controls">
            {selectedId ? (
              <span
                className="model"
                data-testid="model-name"
                title="The model of this conversation"
              >
                {selected?.modelId ?? ''}
              </span>
            ) : (
              <label>
                <span className="visually-hidden">Model</span>
                <select
                  data-testid="model"
                  value={modelId}
                  onChange={(e) => setModelId(e.target.value)}
                >
                  {config.allowedModelIds.map((id) => (
                    <option key={id} value={id}>
                      {id}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <label className="toggle">
              <input
                type="checkbox"
                data-testid="thinking"
                checked={thinking}
                onChange={(e) => setThinking(e.target.checked)}
              />{' '}
              Reasoning
            </label>
          </div>
          {usage && (
            <small className="usage" data-testid="usage">
              {usageSummary(usage)}
            </small>
          )}
        </header>
        {selectedId ? (
          <ConversationChat
            key={selectedId}
            conversationId={selectedId}
            thinking={thinking}
            firstMessage={draft?.conversationId === selectedId ? draft.parts : null}
            onFirstMessageSent={() => setDraft(null)}
            onSettled={onSettled}
            empty={<EmptyChat />}
          />
        ) : (
          <ChatPane
            messages={[]}
            status={creating ? 'creating' : 'draft'}
            error={startError}
            empty={<EmptyChat />}
            onSend={(parts) => void start(parts)}
            onStop={() => undefined}
          />
        )}
      </main>
    </div>
  );
}
