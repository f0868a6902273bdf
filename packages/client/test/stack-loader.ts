/**
 * Loads the local stack for the end-to-end tests from its build output. The stack package
 * depends on this one (its tests use the client), so a package.json dependency would make
 * a cycle; when the build is missing the e2e tests are skipped with `skipReason`.
 */
/** The parts of the stack's API (team brief, interface 7) these tests use. */
export interface LocalStack {
  config: {
    graphqlUrl: string;
    realtimeUrl: string;
    region: string;
    apiKey: string;
    modelId?: string;
    allowedModelIds?: string[];
    /** The stack's dynalite (DynamoDB) endpoint and table. */
    dynamodbEndpoint: string;
    tableName: string;
  };
  emulator: {
    setFaults(f: {
      dropRate?: number;
      duplicateRate?: number;
      reorderRate?: number;
      seed?: number;
    }): void;
    closeAllConnections(): void;
    /**
     * Fans `value` out to the subscriptions `mutationField` triggers, bypassing its resolver
     * (which would refuse, e.g., events of types it does not know).
     */
    injectMutationResult(mutationField: string, value: Record<string, unknown>): void;
  };
  stop(): Promise<void>;
}
export interface StackModule {
  startLocalStack(options?: Record<string, unknown>): Promise<LocalStack>;
}
interface LocalModule {
  deterministicAnswer?: (
    prompt: string,
    opts?: { modelId?: string; outputTokens?: number },
  ) => { text: string };
}

async function load<T>(rel: string): Promise<T | { error: string }> {
  const url = new URL(rel, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (err) {
    return {
      error: `${url.pathname}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    };
  }
}

const stackModuleOrError = await load<StackModule>('../../stack/dist/index.js');
const localModule = await load<LocalModule>('../../local/dist/index.js');
/** Why the e2e tests are skipped, or null when the stack is available. */
export const skipReason: string | null =
  'error' in stackModuleOrError
    ? `local stack not available (build packages/stack first): ${stackModuleOrError.error}`
    : typeof stackModuleOrError.startLocalStack !== 'function'
      ? 'packages/stack does not export startLocalStack yet'
      : null;
/** The Bedrock endpoint's deterministic answer, when packages/local is built. */
export const deterministicAnswer:
  ((prompt: string, modelId: string, outputTokens?: number) => string) | undefined =
  'error' in localModule || !localModule.deterministicAnswer
    ? undefined
    : (prompt, modelId, outputTokens) =>
        localModule.deterministicAnswer!(prompt, {
          modelId,
          ...(outputTokens ? { outputTokens } : {}),
        }).text;

/** The loaded stack module, or null (see skipReason). */
export const stackModule: StackModule | null =
  skipReason === null ? (stackModuleOrError as StackModule) : null;

/** A local stack running as the `bedrock-stream-local` CLI in a child process. */
export interface StackProcess {
  config: LocalStack['config'] & { defaultModelId: string };
  stop(): Promise<void>;
}

/**
 * Starts the stack CLI on ephemeral ports and resolves with its ready line. For
 * environments (jsdom) where importing the stack's Node modules in-process fails.
 */
export async function spawnLocalStack(args: string[] = []): Promise<StackProcess> {
  const { spawn } = await import('node:child_process');
  const { resolve } = await import('node:path');
  const { createInterface } = await import('node:readline');
  const bin = resolve(process.cwd(), '../stack/bin/bedrock-stream-local.js');
  const child = spawn(
    process.execPath,
    [
      bin,
      ...['--port', '0', '--bedrock-port', '0', '--dynamodb-port', '0'],
      ...['--no-web', '--no-state-file', '--no-tls'],
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolveLine);
    child.once('exit', (code) => reject(new Error(`stack CLI exited ${code} before ready`)));
  });
  return {
    config: JSON.parse(line) as StackProcess['config'],
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Why {@link spawnLocalStack} cannot run here, or null (the stack CLI must be built). */
export const processSkipReason: string | null = await (async () => {
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  return existsSync(resolve(process.cwd(), '../stack/dist/cli.js'))
    ? null
    : 'the stack CLI is not built (build packages/stack first)';
})();
