#!/usr/bin/env node
/**
 * Command-line entry: `node packages/local/dist/bedrock/cli.js --port 8787 --tps 50`.
 * Prints one JSON line `{"ready":true,"url":...}` once listening, then one line per request.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startBedrockServer } from './server.js';

const USAGE = `Usage: bedrock-local [options]
  --port N              port (default 8787; 0 = ephemeral)
  --host H              bind address (default 127.0.0.1)
  --ttft MS             time to first token (default 0)
  --tps N               tokens per second (default 0 = unpaced)
  --output-tokens N     natural answer length (default 32)
  --models a,b,c        accepted model ids (default: built-in list)
  --max-input-tokens N  input limit (default 200000)
  --proxy-url URL       relay to an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1
  --proxy-model NAME    upstream model name (default: the Bedrock model id)
  --proxy-key KEY       bearer token for the upstream server
  --throttle-first N    server fault: throttle the first N calls
  --verify KEY:SECRET   verify SigV4 signatures against this credential (repeatable)`;

const Num = z.coerce.number().int().min(0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      ttft: { type: 'string' },
      tps: { type: 'string' },
      'output-tokens': { type: 'string' },
      models: { type: 'string' },
      'max-input-tokens': { type: 'string' },
      'proxy-url': { type: 'string' },
      'proxy-model': { type: 'string' },
      'proxy-key': { type: 'string' },
      'throttle-first': { type: 'string' },
      verify: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const opt = (v: string | undefined): number | undefined =>
    v === undefined ? undefined : Num.parse(v);
  const server = await startBedrockServer({
    port: opt(values.port),
    host: values.host,
    timeToFirstTokenMs: opt(values.ttft),
    tokensPerSecond: opt(values.tps),
    outputTokens: opt(values['output-tokens']),
    maxInputTokens: opt(values['max-input-tokens']),
    modelIds: values.models
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    proxy: values['proxy-url']
      ? { baseUrl: values['proxy-url'], model: values['proxy-model'], apiKey: values['proxy-key'] }
      : undefined,
    faults: values['throttle-first']
      ? { throttleFirstN: opt(values['throttle-first']) }
      : undefined,
    verifySigV4: values.verify?.length
      ? {
          credentials: values.verify.map((v) => {
            const i = v.indexOf(':');
            return { accessKeyId: v.slice(0, i), secretAccessKey: v.slice(i + 1) };
          }),
        }
      : undefined,
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify({ ready: true, url: server.url, port: server.port }));
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exit(1);
});
