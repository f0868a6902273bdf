import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createStreamClient, type StreamHandle } from '@org/bedrock-stream-client';
import { z } from 'zod';

/** Exit codes of `bedrock-ask`. */
export const EXIT = { ok: 0, streamError: 1, usage: 2, cancelled: 130 } as const;

export const USAGE = `usage: bedrock-ask [options] "prompt"
  --model ID          model id (default: the stack's default model)
  --system TEXT       system prompt
  --max-tokens N      maximum output tokens
  --json              print events as JSON lines instead of text
  --config PATH       stack config JSON (default: $BEDROCK_STREAM_CONFIG or .state/local-stack.json)
  --url URL --api-key KEY --region R   connect to a deployed API instead
exit codes: 0 done, 1 stream error, 2 usage/config error, 130 cancelled`;

/** Where the CLI writes and how it is stopped (the process in main.ts; buffers in tests). */
export interface AskIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Aborting cancels the stream server-side (Ctrl-C). */
  signal?: AbortSignal;
  /** Called once the stream exists (tests use it to interrupt mid-stream). */
  onStarted?: (handle: StreamHandle) => void;
}

const ConfigSchema = z.object({
  graphqlUrl: z.url(),
  region: z.string().min(1),
  apiKey: z.string().min(1),
  defaultModelId: z.string().min(1).optional(),
});

const FlagsSchema = z.object({
  model: z.string().min(1).optional(),
  system: z.string().min(1).optional(),
  'max-tokens': z.coerce.number().int().min(1).max(64_000).optional(),
  json: z.boolean().default(false),
  config: z.string().min(1).optional(),
  url: z.url().optional(),
  'api-key': z.string().min(1).optional(),
  region: z.string().min(1).optional(),
});

function defaultConfigPath(env: Record<string, string | undefined>): string {
  return (
    env['BEDROCK_STREAM_CONFIG'] ??
    fileURLToPath(new URL('../../../.state/local-stack.json', import.meta.url))
  );
}

class UsageError extends Error {}

function loadConnection(
  flags: z.infer<typeof FlagsSchema>,
  env: Record<string, string | undefined>,
) {
  if (flags.url || flags['api-key']) {
    if (!flags.url || !flags['api-key']) throw new UsageError('--url and --api-key go together');
    return {
      graphqlUrl: flags.url,
      apiKey: flags['api-key'],
      region: flags.region ?? 'us-east-1',
      defaultModelId: undefined,
    };
  }
  const path = flags.config ?? defaultConfigPath(env);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(
      `cannot read the stack config ${path}: start the local stack (pnpm start) or pass --config / --url`,
    );
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(
      `${path} is not a stack config: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/**
 * Streams the answer to a prompt to `io.stdout` as it arrives. Returns the exit code.
 * Never throws: every problem is a message on stderr and an exit code.
 */
export async function runAsk(argv: string[], io: AskIo): Promise<number> {
  let flags: z.infer<typeof FlagsSchema>;
  let prompt: string;
  let connection: ReturnType<typeof loadConnection>;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        system: { type: 'string' },
        'max-tokens': { type: 'string' },
        json: { type: 'boolean' },
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
    prompt = positionals.join(' ').trim();
    if (!prompt) throw new UsageError('give a prompt');
    connection = loadConnection(flags, io.env);
  } catch (error) {
    io.stderr(`bedrock-ask: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const client = createStreamClient({
    url: connection.graphqlUrl,
    region: connection.region,
    auth: { type: 'API_KEY', apiKey: connection.apiKey },
  });
  try {
    const modelId =
      flags.model ?? connection.defaultModelId ?? 'anthropic.claude-3-haiku-20240307-v1:0';
    let handle: StreamHandle;
    try {
      handle = client.stream(
        {
          modelId,
          prompt,
          ...(flags.system ? { system: flags.system } : {}),
          ...(flags['max-tokens'] ? { inferenceConfig: { maxTokens: flags['max-tokens'] } } : {}),
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
          `${JSON.stringify(update.type === 'error' ? { type: 'error', fatal: update.fatal, code: update.error.code, message: update.error.message } : update)}\n`,
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
      io.stderr(`bedrock-ask: ${result.error?.message ?? 'stream failed'}\n`);
      return EXIT.streamError;
    }
    return EXIT.ok;
  } finally {
    client.close();
  }
}
