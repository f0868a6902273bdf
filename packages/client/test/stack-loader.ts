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
  };
  emulator: {
    setFaults(f: {
      dropRate?: number;
      duplicateRate?: number;
      reorderRate?: number;
      seed?: number;
    }): void;
    closeAllConnections(): void;
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
export const deterministicAnswer: ((prompt: string, modelId: string) => string) | undefined =
  'error' in localModule || !localModule.deterministicAnswer
    ? undefined
    : (prompt, modelId) => localModule.deterministicAnswer!(prompt, { modelId }).text;

/** The loaded stack module, or null (see skipReason). */
export const stackModule: StackModule | null =
  skipReason === null ? (stackModuleOrError as StackModule) : null;
