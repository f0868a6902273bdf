// @vitest-environment jsdom
/**
 * End-to-end in a browser-like environment: useBedrockStream over the real client
 * (Apollo + AppSync links, jsdom's WebSocket) against the real local stack, run as the
 * stack's CLI in a child process (its Node modules do not load under jsdom). Skipped with
 * the reason when the stack is not built (see stack-loader.ts).
 */
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient, type StreamClient } from '../src/index.js';
import { BedrockStreamProvider, useBedrockStream } from '../src/react/index.js';
import {
  deterministicAnswer,
  processSkipReason as skipReason,
  spawnLocalStack,
  type StackProcess,
} from './stack-loader.js';

afterEach(cleanup);

const PROMPT = 'Describe a lighthouse at night.';

describe.skipIf(skipReason !== null)(
  `e2e React hook against the local stack${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let stack: StackProcess;
    let client: StreamClient;
    let modelId: string;

    beforeAll(async () => {
      stack = await spawnLocalStack(['--ttft', '20', '--tps', '200', '--output-tokens', '40']);
      modelId = stack.config.defaultModelId;
      client = createStreamClient({
        url: stack.config.graphqlUrl,
        region: stack.config.region,
        auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
      });
    });
    afterAll(async () => {
      client?.close();
      await stack?.stop();
    });

    it('streams into component state: submitted -> streaming -> done', async () => {
      const statuses: string[] = [];
      const wrapper = ({ children }: { children: ReactNode }) => (
        <BedrockStreamProvider client={client}>{children}</BedrockStreamProvider>
      );
      const { result } = renderHook(
        () => {
          const s = useBedrockStream({ throttleMs: 20 });
          if (statuses[statuses.length - 1] !== s.status) statuses.push(s.status);
          return s;
        },
        { wrapper },
      );
      act(() => void result.current.start({ modelId, prompt: PROMPT }));
      await waitFor(() => expect(result.current.status).toBe('done'), { timeout: 15_000 });
      expect(statuses).toEqual(['idle', 'submitted', 'streaming', 'done']);
      expect(result.current.text.length).toBeGreaterThan(0);
      if (deterministicAnswer)
        expect(result.current.text).toBe(deterministicAnswer(PROMPT, modelId, 40));
    });
  },
);
