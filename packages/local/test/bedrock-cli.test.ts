import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { deterministicAnswer } from '../src/index.js';
import { sdkClient } from './bedrock-helpers.js';

const CLI = fileURLToPath(new URL('../dist/bedrock/cli.js', import.meta.url));

// The CLI is the built file (`node dist/bedrock/cli.js`); turbo builds before testing.
describe.skipIf(!existsSync(CLI))('bedrock CLI', () => {
  it('prints a ready line, serves the SDK and logs one line per request', async () => {
    const child = spawn(process.execPath, [CLI, '--port', '0', '--output-tokens', '6'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const iterator = lines[Symbol.asyncIterator]();
      const first = await iterator.next();
      const ready = JSON.parse(String(first.value)) as { ready: boolean; url: string };
      expect(ready.ready).toBe(true);
      const client = sdkClient(ready.url);
      const out = await client.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
          messages: [{ role: 'user', content: [{ text: 'cli' }] }],
        }),
      );
      client.destroy();
      expect(out.output?.message?.content?.[0]?.text).toBe(
        deterministicAnswer('cli', { outputTokens: 6 }).text,
      );
      const log = await iterator.next();
      expect(String(log.value)).toMatch(
        /Converse anthropic\.claude-3-haiku-20240307-v1:0 200 completed out=6 stop=end_turn/,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
