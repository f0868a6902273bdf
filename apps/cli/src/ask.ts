import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createStreamClient,
  type StreamClientError,
  type StreamHandle,
  type UsageReport,
} from '@org/bedrock-stream-client';
import { z } from 'zod';
import { runChat } from './chat.js';

/** Exit codes of `bedrock-ask`. */
export const EXIT = { ok: 0, streamError: 1, usage: 2, quota: 3, cancelled: 130 } as const;

/** The usage text printed with `--help` and after every usage error. */
export const USAGE = `usage: bedrock-ask [options] "prompt"
       bedrock-ask --chat [options] ["first message"]
  --chat              interactive multi-turn session in a conversation kept on the server
  --conversation ID   continue that conversation (implies --chat)
  --model ID          model id (default: the stack's default model; must be in its allow-list)
  --system TEXT       system prompt (of a new conversation with --chat)
  --max-tokens N      maximum output tokens (1-64000)
  --thinking N        extended thinking with a budget of N tokens (1024-64000; shown dimmed)
  --json              print events as JSON lines instead of text
  --usage             print your token usage today (UTC) and the quotas in force, then exit
  --config PATH       stack config JSON (default: $BEDROCK_STREAM_CONFIG or <repo>/.state/local-stack.json)
  --url URL           GraphQL URL (overrides the config's graphqlUrl)
  --api-key KEY       API key (overrides the config's apiKey)
  --region R          region (overrides the config's region; default us-east-1)
  -h, --help          show this help
Ctrl-C cancels the stream server-side; in --chat it stops the answer, and at the prompt ends the session.
exit codes: 0 done, 1 stream error, 2 usage/config error, 3 quota exceeded, 130 cancelled`;

/** Where the CLI writes and how it is stopped (the process in main.ts; buffers in tests). */
export interface AskIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Aborting cancels the stream server-side (Ctrl-C). */
  signal?: AbortSignal;
  /** Called once the stream exists (tests use it to interrupt mid-stream). */
  onStarted?: (handle: StreamHandle) => void;
  /** The user's lines in --chat (main.ts passes process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** In --chat, what Ctrl-C does instead of aborting `signal`; returns its remover. */
  onInterrupt?: (listener: () => void) => () => void;
  /** Dim reasoning with ANSI escapes (main.ts: stdout is a TTY and NO_COLOR is unset). */
  color?: boolean;
}

/** The part of the stack's ready JSON (or a hand-written config) the CLI uses. */
const ConfigSchema = z.object({
  graphqlUrl: z.url(),
  region: z.string().min(1).optional(),
  apiKey: z.string().min(1),
  defaultModelId: z.string().min(1).optional(),
  allowedModelIds: z.array(z.string().min(1)).min(1).optional(),
});
type Connection = z.infer<typeof ConfigSchema>;

const FlagsSchema = z.object({
  model: z.string().min(1).optional(),
  system: z.string().min(1).optional(),
  'max-tokens': z.coerce
    .number({ error: 'must be a whole number from 1 to 64000' })
    .int({ error: 'must be a whole number from 1 to 64000' })
    .min(1, { error: 'must be a whole number from 1 to 64000' })
    .max(64_000, { error: 'must be a whole number from 1 to 64000' })
    .optional(),
  thinking: z.coerce
    .number({ error: 'must be a whole number from 1024 to 64000' })
    .int({ error: 'must be a whole number from 1024 to 64000' })
    .min(1024, { error: 'must be a whole number from 1024 to 64000' })
    .max(64_000, { error: 'must be a whole number from 1024 to 64000' })
    .optional(),
  chat: z.boolean().default(false),
  conversation: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, {
      error: 'must be a conversation id (letters, digits, - and _)',
    })
    .optional(),
  json: z.boolean().default(false),
  usage: z.boolean().default(false),
  help: z.boolean().default(false),
  config: z.string().min(1).optional(),
  url: z.url().optional(),
  'api-key': z.string().min(1).optional(),
  region: z.string().min(1).optional(),
});
type Flags = z.infer<typeof FlagsSchema>;

/** Used when neither the flags nor the config name a model. */
const FALLBACK_MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';

function defaultConfigPath(env: Record<string, string | undefined>): string {
  return (
    env['BEDROCK_STREAM_CONFIG'] ??
    fileURLToPath(new URL('../../../.state/local-stack.json', import.meta.url))
  );
}

class UsageError extends Error {}

function readConfig(path: string): Connection {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(
      `cannot read the stack config ${path}: start the local stack (pnpm start) or pass --config, or --url with --api-key`,
    );
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${path} is not a stack config: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/**
 * The config file gives the connection; --url/--api-key/--region override single fields. With
 * both --url and --api-key no file is needed (a deployed API), unless --config names one.
 */
function loadConnection(flags: Flags, env: Record<string, string | undefined>): Connection {
  const standalone = flags.url !== undefined && flags['api-key'] !== undefined && !flags.config;
  const base: Partial<Connection> = standalone
    ? {}
    : readConfig(flags.config ?? defaultConfigPath(env));
  const merged = {
    ...base,
    ...(flags.url ? { graphqlUrl: flags.url } : {}),
    ...(flags['api-key'] ? { apiKey: flags['api-key'] } : {}),
    ...(flags.region ? { region: flags.region } : {}),
  };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) throw new UsageError('--url and --api-key go together without a config');
  return parsed.data;
}

function pickModel(flags: Flags, connection: Connection): string {
  const allowed = connection.allowedModelIds;
  const modelId = flags.model ?? connection.defaultModelId ?? allowed?.[0] ?? FALLBACK_MODEL_ID;
  // Checked here so a typo is a usage error with the choices, not a failed stream.
  if (allowed && !allowed.includes(modelId))
    throw new UsageError(`--model ${modelId} is not allowed; choose one of: ${allowed.join(', ')}`);
  return modelId;
}

/**
 * Streams the answer to a prompt to `io.stdout` as it arrives. Returns the exit code.
 * Never throws: every problem is a message on stderr and an exit code.
 */
export async function runAsk(argv: string[], io: AskIo): Promise<number> {
  let flags: Flags;
  let prompt: string;
  let connection: Connection;
  let modelId: string;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        system: { type: 'string' },
        'max-tokens': { type: 'string' },
        thinking: { type: 'string' },
        chat: { type: 'boolean' },
        conversation: { type: 'string' },
        json: { type: 'boolean' },
        usage: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        config: { type: 'string' },
        url: { type: 'string' },
        'api-key': { type: 'string' },
        region: { type: 'string' },
      },
    });
    const parsed = FlagsSchema.safeParse(values);
    if (!parsed.success)
      throw new UsageError(
        parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '),
      );
    flags = parsed.data;
    if (flags.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    prompt = positionals.join(' ').trim();
    if (flags.conversation !== undefined) flags.chat = true;
    if (flags.chat && flags.json) throw new UsageError('--json does not combine with --chat');
    if (flags.chat && flags.usage) throw new UsageError('--usage does not combine with --chat');
    if (flags.chat && flags.conversation && flags.system)
      throw new UsageError(
        "--system sets a new conversation's prompt; it cannot change --conversation",
      );
    if (
      flags.thinking !== undefined &&
      flags['max-tokens'] !== undefined &&
      flags['max-tokens'] <= flags.thinking
    )
      throw new UsageError('--max-tokens must be above --thinking');
    if (!prompt && !flags.usage && !flags.chat) throw new UsageError('give a prompt (or --chat)');
    connection = loadConnection(flags, io.env);
    modelId = pickModel(flags, connection);
  } catch (error) {
    io.stderr(`bedrock-ask: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const client = createStreamClient({
    url: connection.graphqlUrl,
    region: connection.region ?? 'us-east-1',
    auth: { type: 'API_KEY', apiKey: connection.apiKey },
  });
  try {
    if (flags.chat) {
      const turnOptions = {
        ...(flags['max-tokens'] ? { inferenceConfig: { maxTokens: flags['max-tokens'] } } : {}),
        ...(flags.thinking ? { thinking: { budgetTokens: flags.thinking } } : {}),
      };
      return await runChat(
        client,
        {
          modelId,
          ...(flags.system ? { system: flags.system } : {}),
          ...(flags.conversation ? { conversationId: flags.conversation } : {}),
          ...(prompt ? { firstMessage: prompt } : {}),
          ...(Object.keys(turnOptions).length > 0 ? { options: turnOptions } : {}),
        },
        {
          stdout: io.stdout,
          stderr: io.stderr,
          stdin: io.stdin ?? process.stdin,
          ...(io.onInterrupt ? { onInterrupt: io.onInterrupt } : {}),
          color: io.color ?? false,
        },
      );
    }
    if (flags.usage) {
      const report = await client.usage().catch((error: unknown) => error as Error);
      if (report instanceof Error) {
        io.stderr(`bedrock-ask: ${report.message}\n`);
        return EXIT.streamError;
      }
      io.stdout(flags.json ? `${JSON.stringify(report)}\n` : formatUsage(report));
      return EXIT.ok;
    }
    let handle: StreamHandle;
    try {
      handle = client.stream(
        {
          modelId,
          prompt,
          ...(flags.system ? { system: flags.system } : {}),
          ...(flags['max-tokens'] ? { inferenceConfig: { maxTokens: flags['max-tokens'] } } : {}),
          ...(flags.thinking ? { thinking: { budgetTokens: flags.thinking } } : {}),
        },
        { signal: io.signal },
      );
    } catch (error) {
      io.stderr(`bedrock-ask: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    io.onStarted?.(handle);
    if (flags.json)
      io.stdout(`${JSON.stringify({ type: 'stream', streamId: handle.streamId, modelId })}\n`);
    for await (const update of handle) {
      if (flags.json)
        io.stdout(
          `${JSON.stringify(update.type === 'error' ? { type: 'error', fatal: update.fatal, code: update.error.code, message: update.error.message, retryAfterSeconds: update.error.retryAfterSeconds, quota: update.error.quota } : update)}\n`,
        );
      else if (update.type === 'text') io.stdout(update.delta);
      else if (update.type === 'reset') io.stderr('\n[model retried; restarting the answer]\n');
    }
    const result = await handle.done;
    if (!flags.json) io.stdout('\n');
    if (result.status === 'cancelled') {
      io.stderr('bedrock-ask: cancelled\n');
      return EXIT.cancelled;
    }
    if (result.status === 'error') {
      const quota = quotaLine(result.error);
      if (quota) {
        io.stderr(`bedrock-ask: ${quota}\n`);
        return EXIT.quota;
      }
      io.stderr(`bedrock-ask: ${result.error?.message ?? 'stream failed'}\n`);
      return EXIT.streamError;
    }
    return EXIT.ok;
  } finally {
    client.close();
  }
}

/**
 * The line for a quota refusal or stop (`QuotaExceeded`, `THROTTLED`): what hit which limit
 * and when to retry; null for other errors.
 */
export function quotaLine(error: StreamClientError | null): string | null {
  if (!error || (error.code !== 'QuotaExceeded' && error.code !== 'THROTTLED')) return null;
  const q = error.quota;
  const what = q
    ? `quota ${q.quota} exceeded (${q.current} of ${q.limit})`
    : error.code === 'THROTTLED'
      ? 'throttled: too many starts at once'
      : 'quota exceeded: your output tokens for today are used up (the answer was stopped)';
  const when = error.retryAfterSeconds === null ? '' : `; retry in ${error.retryAfterSeconds} s`;
  return `${what}${when}`;
}

/** The --usage report: today's totals, per model, and the quotas in force. */
export function formatUsage(report: UsageReport): string {
  const t = report.total;
  const lines = [
    `usage ${report.from} (UTC) for ${report.owner}: ${t.streams} streams, ${t.inputTokens} input / ${t.outputTokens} output tokens` +
      (t.cacheReadInputTokens || t.cacheWriteInputTokens
        ? `, cache ${t.cacheReadInputTokens} read / ${t.cacheWriteInputTokens} written`
        : '') +
      (t.estimatedStreams ? ` (${t.estimatedStreams} estimated)` : ''),
  ];
  for (const day of report.days)
    for (const m of day.byModel)
      lines.push(
        `  ${m.modelId}: ${m.usage.streams} streams, ${m.usage.inputTokens} in / ${m.usage.outputTokens} out`,
      );
  const limits = Object.entries(report.quotas)
    .filter(([key, value]) => key !== '__typename' && typeof value === 'number')
    .map(([key, value]) => `${key} ${value as number}`);
  lines.push(`quotas: ${limits.length ? limits.join(', ') : 'none'}`);
  return `${lines.join('\n')}\n`;
}
