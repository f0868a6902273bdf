// `bedrock-stream-local`: starts the whole local stack and prints one ready line.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { defaultStatePath } from './config.js';
import { startLocalStack, type LocalStackOptions } from './stack.js';

const USAGE = `usage: bedrock-stream-local [options]
  --port N              GraphQL/real-time port (default 4000; 0 = ephemeral)
  --bedrock-port N      Bedrock endpoint port (default 4010)
  --dynamodb-port N     DynamoDB port (default 4020)
  --web-port N          web app port (default 5173)
  --no-web              do not serve the web app
  --data-dir DIR        persist DynamoDB data in DIR (default: in memory)
  --bedrock local|aws|openai   model backend (default local)
  --region R            AWS region (with --bedrock aws)
  --openai-url URL      OpenAI-compatible server (with --bedrock openai)
  --openai-model NAME   model name for the proxy
  --ttft MS             local model time to first token (default 300)
  --tps N               local model tokens per second (default 40)
  --output-tokens N     local model answer length (default 120)
  --log                 request logs to stderr
  --help`;

const port = z.coerce.number().int().min(0).max(65535);
const Flags = z
  .object({
    port: port.default(4000),
    'bedrock-port': port.default(4010),
    'dynamodb-port': port.default(4020),
    'web-port': port.default(5173),
    'no-web': z.boolean().default(false),
    'data-dir': z.string().min(1).optional(),
    bedrock: z.enum(['local', 'aws', 'openai']).default('local'),
    region: z.string().min(1).optional(),
    'openai-url': z.url().optional(),
    'openai-model': z.string().min(1).optional(),
    ttft: z.coerce.number().int().min(0).max(60_000).default(300),
    tps: z.coerce.number().min(0).max(100_000).default(40),
    'output-tokens': z.coerce.number().int().min(1).max(64_000).default(120),
    log: z.boolean().default(false),
  })
  .superRefine((f, ctx) => {
    if (f.bedrock === 'openai' && !f['openai-url'])
      ctx.addIssue({
        code: 'custom',
        path: ['openai-url'],
        message: '--bedrock openai needs --openai-url',
      });
    if (f.bedrock === 'aws' && !f.region)
      ctx.addIssue({ code: 'custom', path: ['region'], message: '--bedrock aws needs --region' });
  });

function fail(message: string): never {
  process.stderr.write(`bedrock-stream-local: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let values: Record<string, unknown>;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      'bedrock-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'web-port': { type: 'string' },
      'no-web': { type: 'boolean' },
      'data-dir': { type: 'string' },
      bedrock: { type: 'string' },
      region: { type: 'string' },
      'openai-url': { type: 'string' },
      'openai-model': { type: 'string' },
      ttft: { type: 'string' },
      tps: { type: 'string' },
      'output-tokens': { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values['help']) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const parsed = Flags.safeParse(values);
if (!parsed.success)
  fail(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
const flags = parsed.data;

const webDir = fileURLToPath(new URL('../../../apps/web/dist/', import.meta.url));
const options: LocalStackOptions = {
  port: flags.port,
  bedrockPort: flags['bedrock-port'],
  dynamodbPort: flags['dynamodb-port'],
  dataDir: flags['data-dir'],
  region: flags.region,
  bedrock:
    flags.bedrock === 'aws'
      ? { backend: 'aws', region: flags.region! }
      : flags.bedrock === 'openai'
        ? { backend: 'openai', url: flags['openai-url']!, model: flags['openai-model'] }
        : { backend: 'local' },
  model: {
    timeToFirstTokenMs: flags.ttft,
    tokensPerSecond: flags.tps,
    outputTokens: flags['output-tokens'],
  },
  log: flags.log,
  stateFile: defaultStatePath(),
  ...(!flags['no-web'] && existsSync(webDir) ? { webDir, webPort: flags['web-port'] } : {}),
};

try {
  const stack = await startLocalStack(options);
  process.stdout.write(`${JSON.stringify(stack.config)}\n`);
  if (stack.config.webUrl) process.stderr.write(`\n  Open ${stack.config.webUrl}\n\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
} catch (error) {
  process.stderr.write(`bedrock-stream-local: could not start: ${(error as Error).message}\n`);
  process.exit(1);
}
