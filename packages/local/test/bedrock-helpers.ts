import {
  BedrockRuntimeClient,
  type ConverseStreamOutput,
  type ResponseStream,
} from '@aws-sdk/client-bedrock-runtime';

/** A real SDK client pointed at the local endpoint; retries off unless asked. */
export function sdkClient(url: string, maxAttempts = 1): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts,
  });
}

/** Anthropic Messages body as a JSON string. */
export function anthropicBody(prompt: string, maxTokens = 1000, extra: object = {}): string {
  return JSON.stringify({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: maxTokens,
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    ...extra,
  });
}

/** Collects ConverseStream events with their arrival times. */
export async function collectConverse(
  stream: AsyncIterable<ConverseStreamOutput> | undefined,
): Promise<{ events: ConverseStreamOutput[]; times: number[]; text: string }> {
  const events: ConverseStreamOutput[] = [];
  const times: number[] = [];
  let text = '';
  for await (const ev of stream ?? []) {
    events.push(ev);
    times.push(performance.now());
    if (ev.contentBlockDelta?.delta?.text !== undefined) text += ev.contentBlockDelta.delta.text;
  }
  return { events, times, text };
}

/** Decodes InvokeModelWithResponseStream chunks into Anthropic stream events. */
export async function collectInvoke(
  stream: AsyncIterable<ResponseStream> | undefined,
): Promise<{ events: Array<Record<string, unknown>>; text: string; times: number[] }> {
  const events: Array<Record<string, unknown>> = [];
  const times: number[] = [];
  let text = '';
  for await (const part of stream ?? []) {
    const bytes = part.chunk?.bytes;
    if (!bytes) continue;
    const ev = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    events.push(ev);
    times.push(performance.now());
    const delta = ev.delta as { type?: string; text?: string } | undefined;
    if (ev.type === 'content_block_delta' && delta?.type === 'text_delta') text += delta.text ?? '';
  }
  return { events, text, times };
}

/** Awaits a promise expected to reject and returns the error. */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Polls `check` until it returns true (no wall-clock assertions, just a bounded wait). */
export async function waitFor(check: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}
