// Runs only the local stack, so its RSS is not mixed with the bench's own clients.
import { startLocalStack } from '@org/bedrock-stream-stack';

const stack = await startLocalStack({});
process.send?.({ config: stack.config });
process.on('message', (m: { type: string }) => {
  if (m.type === 'rss') {
    global.gc?.();
    process.send?.({ rss: process.memoryUsage().rss });
  }
});
process.on('disconnect', () => void stack.stop().then(() => process.exit(0)));
