// `bedrock-stream-local`: starts the whole local stack and prints one ready line.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { QUOTA_MAX, type QuotaSettings } from '@org/bedrock-stream-contracts';
import { defaultStatePath, defaultTlsDir } from './config.js';
import { startLocalStack, type LocalStackOptions } from './stack.js';

const USAGE = `usage: bedrock-stream-local [options]
  --port N              GraphQL + real-time port (default 4000; 0 = ephemeral)
  --tls-port N          the same over HTTPS/WSS (default 4443; 0 = ephemeral)
  --tls-dir DIR         local CA + server certificate (default <repo>/.state/tls)
  --no-tls              plain HTTP/WS only
  --bedrock-port N      Bedrock endpoint port (default 4010)
  --dynamodb-port N     DynamoDB port (default 4020)
  --web-port N          web app port (default 5173)
  --web-dir DIR         serve this built web app (default apps/web/dist when built)
  --no-web              do not serve the web app
  --web-https           serve the web app over https (with the TLS certificate)
  --data-dir DIR        persist DynamoDB data and worker failure records in DIR
                        (default: in memory, gone on exit)
  --state-file PATH     where to write the ready JSON (default <repo>/.state/local-stack.json)
  --no-state-file       do not write it
  --bedrock local|aws|openai   model backend (default local)
  --region R            AWS region (required with --bedrock aws; default us-east-1)
  --openai-url URL      OpenAI-compatible server (with --bedrock openai)
  --openai-model NAME   model name for the proxy
  --ttft MS             local model time to first token (default 300)
  --tps N               local model tokens per second (default 40)
  --output-tokens N     local model answer length (default 120)
  --worker-concurrency N   concurrent worker executions (default 8)
  --quota-concurrent-streams-per-owner N     streams one user may run at once
  --quota-streams-per-minute-per-owner N     starts one user may make per UTC minute
  --quota-output-tokens-per-day-per-owner N  output tokens one user may use per UTC day
  --quota-concurrent-streams-global N        streams all users together may run at once
                        (every quota is off unless given)
  --demo-tools          the worker runs the demo server tools (get_weather, calculator, slow_lookup)
  --log                 request logs to stderr
  --help`;

const port = z.coerce.number().int().min(0).max(65535);
const quota = z.coerce.number().int().min(1).max(QUOTA_MAX).optional();
const Flags = z
  .object({
    port: port.default(4000),
    'tls-port': port.optional(),
    'tls-dir': z.string().min(1).optional(),
    'no-tls': z.boolean().default(false),
    'web-https': z.boolean().default(false),
    'bedrock-port': port.default(4010),
    'dynamodb-port': port.default(4020),
    'web-port': port.default(5173),
    'web-dir': z.string().min(1).optional(),
    'no-web': z.boolean().default(false),
    'data-dir': z.string().min(1).optional(),
    'state-file': z.string().min(1).optional(),
    'no-state-file': z.boolean().default(false),
    bedrock: z.enum(['local', 'aws', 'openai']).default('local'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must look like us-east-1')
      .optional(),
    'openai-url': z.url().optional(),
    'openai-model': z.string().min(1).optional(),
    ttft: z.coerce.number().int().min(0).max(60_000).default(300),
    tps: z.coerce.number().positive().max(100_000).default(40),
    'output-tokens': z.coerce.number().int().min(1).max(64_000).default(120),
    'worker-concurrency': z.coerce.number().int().min(1).max(64).default(8),
    'quota-concurrent-streams-per-owner': quota,
    'quota-streams-per-minute-per-owner': quota,
    'quota-output-tokens-per-day-per-owner': quota,
    'quota-concurrent-streams-global': quota,
    'demo-tools': z.boolean().default(false),
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
    if (f['no-web'] && f['web-dir'])
      ctx.addIssue({ code: 'custom', path: ['web-dir'], message: 'conflicts with --no-web' });
    for (const flag of ['tls-port', 'tls-dir', 'web-https'] as const)
      if (f['no-tls'] && f[flag] !== undefined && f[flag] !== false)
        ctx.addIssue({ code: 'custom', path: [flag], message: 'conflicts with --no-tls' });
    if (f['no-web'] && f['web-https'])
      ctx.addIssue({ code: 'custom', path: ['web-https'], message: 'conflicts with --no-web' });
    if (f['no-state-file'] && f['state-file'])
      ctx.addIssue({
        code: 'custom',
        path: ['state-file'],
        message: 'conflicts with --no-state-file',
      });
    const dir = f['web-dir'];
    if (dir && !(existsSync(dir) && statSync(dir).isDirectory()))
      ctx.addIssue({ code: 'custom', path: ['web-dir'], message: `${dir} is not a directory` });
  });

function fail(message: string): never {
  process.stderr.write(`bedrock-stream-local: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let values: Record<string, unknown>;
try {
  ({ values } = parseArgs({
    // `pnpm start -- --flag` forwards the `--` itself; npm habits should still work.
    args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
    options: {
      port: { type: 'string' },
      'tls-port': { type: 'string' },
      'tls-dir': { type: 'string' },
      'no-tls': { type: 'boolean' },
      'web-https': { type: 'boolean' },
      'bedrock-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'web-port': { type: 'string' },
      'web-dir': { type: 'string' },
      'no-web': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'state-file': { type: 'string' },
      'no-state-file': { type: 'boolean' },
      bedrock: { type: 'string' },
      region: { type: 'string' },
      'openai-url': { type: 'string' },
      'openai-model': { type: 'string' },
      ttft: { type: 'string' },
      tps: { type: 'string' },
      'output-tokens': { type: 'string' },
      'worker-concurrency': { type: 'string' },
      'quota-concurrent-streams-per-owner': { type: 'string' },
      'quota-streams-per-minute-per-owner': { type: 'string' },
      'quota-output-tokens-per-day-per-owner': { type: 'string' },
      'quota-concurrent-streams-global': { type: 'string' },
      'demo-tools': { type: 'boolean' },
      log: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
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

const builtWeb = fileURLToPath(new URL('../../../apps/web/dist/', import.meta.url));
const webDir = flags['no-web']
  ? undefined
  : flags['web-dir']
    ? resolve(flags['web-dir'])
    : existsSync(builtWeb)
      ? builtWeb
      : undefined;
const options: LocalStackOptions = {
  port: flags.port,
  ...(flags['no-tls']
    ? {}
    : {
        tls: {
          dir: resolve(flags['tls-dir'] ?? defaultTlsDir()),
          port: flags['tls-port'] ?? 4443,
        },
      }),
  bedrockPort: flags['bedrock-port'],
  dynamodbPort: flags['dynamodb-port'],
  ...(flags['data-dir'] ? { dataDir: resolve(flags['data-dir']) } : {}),
  ...(flags.region ? { region: flags.region } : {}),
  bedrock:
    flags.bedrock === 'aws'
      ? { backend: 'aws', region: flags.region! }
      : flags.bedrock === 'openai'
        ? {
            backend: 'openai',
            url: flags['openai-url']!,
            ...(flags['openai-model'] ? { model: flags['openai-model'] } : {}),
            ...(process.env['OPENAI_API_KEY'] ? { apiKey: process.env['OPENAI_API_KEY'] } : {}),
          }
        : { backend: 'local' },
  model: {
    timeToFirstTokenMs: flags.ttft,
    tokensPerSecond: flags.tps,
    outputTokens: flags['output-tokens'],
  },
  worker: { concurrency: flags['worker-concurrency'], demoTools: flags['demo-tools'] },
  quotas: Object.fromEntries(
    Object.entries({
      concurrentStreamsPerOwner: flags['quota-concurrent-streams-per-owner'],
      streamsPerMinutePerOwner: flags['quota-streams-per-minute-per-owner'],
      outputTokensPerDayPerOwner: flags['quota-output-tokens-per-day-per-owner'],
      concurrentStreamsGlobal: flags['quota-concurrent-streams-global'],
    }).filter(([, value]) => value !== undefined),
  ) as QuotaSettings,
  log: flags.log,
  stateFile: flags['no-state-file'] ? false : resolve(flags['state-file'] ?? defaultStatePath()),
  // A dead-lettered event is worth a line even without --log.
  onWorkerFailure: (record) =>
    process.stderr.write(
      `bedrock-stream-local: worker event failed after ${record.attempts} attempt(s): ${JSON.stringify(
        { requestId: record.requestId, payload: record.payload, error: record.error },
      )}\n`,
    ),
  ...(webDir ? { webDir, webPort: flags['web-port'], webHttps: flags['web-https'] } : {}),
};

try {
  const stack = await startLocalStack(options);
  process.stdout.write(`${JSON.stringify(stack.config)}\n`);
  const { webUrl, httpsGraphqlUrl, caFile } = stack.config;
  if (webUrl) process.stderr.write(`\n  Open ${webUrl}\n`);
  if (httpsGraphqlUrl)
    process.stderr.write(
      `  HTTPS/WSS at ${httpsGraphqlUrl}, certificates from the local CA ${caFile}\n  (Node: NODE_EXTRA_CA_CERTS=${caFile}; browsers: see packages/stack/README.md)\n`,
    );
  process.stderr.write('\n');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C while shutting down: give up waiting.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    void stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`bedrock-stream-local: could not start: ${(error as Error).message}\n`);
  process.exit(1);
}
