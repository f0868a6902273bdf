import { createStreamClient } from '@org/bedrock-stream-client';
import { BedrockStreamProvider, useBedrockStream } from '@org/bedrock-stream-client/react';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });

export function App() {
  return (
    <BedrockStreamProvider client={client}>
      <Chat />
    </BedrockStreamProvider>
  );
}

function Chat() {
  const { text, status, error, usage, start, cancel, retry } = useBedrockStream({ throttleMs: 50 });
  const ask = async () => {
    // start() resolves with the stream's result once it ends (never rejects).
    const result = await start({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      prompt: 'Hi!',
    });
    if (result.status === 'done') console.log(`${result.usage?.outputTokens} tokens`);
  };
  return (
    <div>
      <button onClick={() => void ask()}>Ask</button>
      {status === 'streaming' && <button onClick={cancel}>Stop</button>}
      {status === 'error' && error?.retryable && <button onClick={retry}>Try again</button>}
      <pre>{text}</pre>
      <small>
        {status} {usage && `${usage.outputTokens} tokens`}
      </small>
    </div>
  );
}
