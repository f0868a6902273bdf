import { createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });
const conversation = await client.conversations.create({
  modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  title: 'Trip to Lisbon',
  system: 'You are a travel agent.',
});
const page = await client.conversations.list({ limit: 20 }); // newest first
await client.conversations.rename(conversation.conversationId, 'Lisbon, May');
const again = await client.conversations.get(conversation.conversationId); // null: unknown / not yours
const first = await client.conversations.messages(conversation.conversationId, { limit: 50 });
const history = await client.conversations.allMessages(conversation.conversationId);
console.log(page.items.length, again?.title, first.nextToken, history.length);

// One turn without a Chat: the user message is stored and the answer streams.
const { handle, turn } = client.conversations.sendMessage({
  conversationId: conversation.conversationId,
  content: 'Three things to see?',
});
for await (const u of handle) if (u.type === 'text') process.stdout.write(u.delta);
console.log((await turn)?.assistantMessage.id); // the stored ids (null: never stored)
await client.conversations.delete(conversation.conversationId); // messages and streams follow
