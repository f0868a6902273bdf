import { Chat, createStreamClient } from '@org/bedrock-stream-client';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });
const chat = new Chat({
  client,
  conversationId,
  options: {
    toolConfig: {
      tools: [
        {
          name: 'get_local_time',
          description: 'The user’s local time',
          inputSchema: { type: 'object', properties: {} },
        },
      ],
    },
  },
  // Runs the app's tools: the answer continues once every call has a result.
  onToolCall: ({ toolCall }) =>
    toolCall.toolName === 'get_local_time' ? { time: new Date().toTimeString() } : undefined,
});
chat.subscribe(() => {
  const { messages, status } = chat.getSnapshot();
  console.log(status, messages.length);
});
await chat.load(); // an answer still being written is joined: stored chunks, then live
await chat.sendMessage('What time is it for me?'); // resolves when the answer ended
await chat.sendMessage([
  { type: 'text', text: 'What is in this picture?' },
  { type: 'image', format: 'PNG', bytes: pngBase64 },
]);
await chat.regenerate(); // a new last answer
await chat.editMessage(chat.messages[0]!.id, 'What time is it in Lisbon?');
const stopped = chat.sendMessage('Tell me a long story');
await chat.stop(); // Bedrock stops; the partial answer stays, STOPPED
await stopped;
chat.dispose(); // stops following (a running answer goes on server-side)
