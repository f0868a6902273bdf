// Conversations at scale (issue 15): listing 1,000 conversations and loading a 200-message
// history, through the whole local stack (resolvers over the emulator, dynalite with the
// conversationsByOwner index, the worker writing every answer).
import { randomUUID } from 'node:crypto';
import { parseMessageParts } from '@org/bedrock-stream-contracts';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import type { ScenarioResult } from './scenarios.js';
import { summary } from './stats.js';

type Data = Record<string, unknown>;

/** One GraphQL call with the stack's API key (one owner for the whole scenario). */
async function gql(stack: LocalStack, query: string, variables: Data): Promise<Data> {
  const response = await fetch(stack.config.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': stack.config.apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as { data?: Data; errors?: Array<{ message: string }> };
  if (json.errors?.length) throw new Error(json.errors.map((e) => e.message).join('; '));
  return json.data!;
}

const CREATE = `mutation($input: CreateConversationInput!) {
  createConversation(input: $input) { conversationId } }`;
const LIST = `query($limit: Int, $nextToken: String) {
  listConversations(limit: $limit, nextToken: $nextToken) {
    items { conversationId title updatedAt } nextToken } }`;
const SEND = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { stream { streamId } } }`;
const ACTIVE = `query($id: ID!) { getConversation(conversationId: $id) { activeStreamId messageCount } }`;
const MESSAGES = `query($id: ID!, $limit: Int, $nextToken: String) {
  conversationMessages(conversationId: $id, limit: $limit, nextToken: $nextToken) {
    items { messageId index role parts status usage } nextToken } }`;

/** Runs `task` for 0..count-1, at most `width` at a time. */
async function pool(count: number, width: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Every page of a paginated field; returns the items and the number of requests. */
async function allPages(
  fetchPage: (nextToken: string | null) => Promise<{ items: Data[]; nextToken: string | null }>,
): Promise<{ items: Data[]; requests: number }> {
  const items: Data[] = [];
  let token: string | null = null;
  let requests = 0;
  do {
    const page = await fetchPage(token);
    requests += 1;
    items.push(...page.items);
    token = page.nextToken;
  } while (token);
  return { items, requests };
}

/** Lists 1,000 conversations and loads a 200-message history (p50 of repeated loads). */
export async function conversations(quick: boolean): Promise<ScenarioResult> {
  const conversationCount = quick ? 50 : 1000;
  const turns = quick ? 5 : 100; // two messages each
  const repeats = quick ? 2 : 10;
  const stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 0, tokensPerSecond: 0, outputTokens: 30 },
  });
  const modelId = stack.config.defaultModelId;
  let lost = 0;
  try {
    // 1,000 conversations, created through the resolvers as an app would.
    const t0 = performance.now();
    await pool(conversationCount, 8, async (i) => {
      await gql(stack, CREATE, { input: { modelId, title: `conversation ${i}` } });
    });
    const createMs = performance.now() - t0;

    const listMs: number[] = [];
    const firstPageMs: number[] = [];
    let listed = 0;
    let listRequests = 0;
    for (let r = 0; r < repeats; r += 1) {
      const start = performance.now();
      const { items, requests } = await allPages(async (nextToken) => {
        const s = performance.now();
        const data = await gql(stack, LIST, { limit: 100, nextToken });
        if (!nextToken) firstPageMs.push(performance.now() - s);
        return data['listConversations'] as { items: Data[]; nextToken: string | null };
      });
      listMs.push(performance.now() - start);
      listed = items.length;
      listRequests = requests;
    }
    if (listed !== conversationCount) lost += Math.abs(conversationCount - listed);

    // A 200-message history: `turns` user messages, each answered by the worker.
    const created = await gql(stack, CREATE, { input: { modelId, title: 'long history' } });
    const conversationId = (created['createConversation'] as { conversationId: string })
      .conversationId;
    const turnMs: number[] = [];
    for (let i = 0; i < turns; i += 1) {
      const s = performance.now();
      await gql(stack, SEND, {
        input: { conversationId, streamId: randomUUID(), content: [{ text: `question ${i}` }] },
      });
      for (;;) {
        const data = await gql(stack, ACTIVE, { id: conversationId });
        if (!(data['getConversation'] as { activeStreamId: string | null }).activeStreamId) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      turnMs.push(performance.now() - s);
    }

    const loadMs: number[] = [];
    let loaded = 0;
    let loadRequests = 0;
    let complete = 0;
    for (let r = 0; r < repeats; r += 1) {
      const start = performance.now();
      const { items, requests } = await allPages(async (nextToken) => {
        const data = await gql(stack, MESSAGES, { id: conversationId, limit: 100, nextToken });
        return data['conversationMessages'] as { items: Data[]; nextToken: string | null };
      });
      // Parsed as the client does: the stored parts, checked.
      for (const m of items) {
        if (!parseMessageParts(m['parts']).ok) lost += 1;
      }
      loadMs.push(performance.now() - start);
      loaded = items.length;
      loadRequests = requests;
      complete = items.filter((m) => m['status'] === 'COMPLETE').length;
    }
    if (loaded !== turns * 2 || complete !== turns * 2) lost += 1;

    return {
      name: 'conversations',
      settings: {
        conversations: conversationCount,
        historyMessages: turns * 2,
        pageSize: 100,
        repeats,
        model: 'deterministic, 30 tokens an answer, no pacing',
      },
      figures: {
        createConversationsPerSecond: Math.round((conversationCount / createMs) * 1000),
        listAllConversations: {
          conversations: listed,
          requests: listRequests,
          ms: summary(listMs),
        },
        listFirstPageMs: summary(firstPageMs),
        loadHistory: { messages: loaded, requests: loadRequests, ms: summary(loadMs) },
        turnWithGrowingHistoryMs: summary(turnMs),
      },
      lost,
      duplicated: 0,
    };
  } finally {
    await stack.stop();
  }
}
