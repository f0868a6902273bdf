import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';

/** Options of {@link bundleWorker}. */
export interface BundleWorkerOptions {
  /**
   * A module whose default export (or `tools` export) is an array of the worker's
   * `defineTool(...)` results. The bundle's `handler` is then `createHandler({ tools })`.
   */
  toolsEntry?: string;
  /** The worker module to bundle. Default: the installed `@org/bedrock-stream-worker`. */
  workerEntry?: string;
}

/** The worker package's env-only credential provider (see WORKER_BUILD_OPTIONS). */
export function lambdaCredentialsModulePath(): string {
  return fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker/lambda-credentials'));
}

/**
 * The esbuild options the worker is bundled with: one minified ESM file for Lambda's
 * Node.js 22 runtime. Exported so the bench bundles its baselines exactly the same way.
 */
export const WORKER_BUILD_OPTIONS = {
  outfile: 'index.mjs',
  write: false,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  // The AWS SDK's ES module builds (`module`) before its CommonJS ones (`main`): ES modules
  // are tree-shaken and run without per-module wrappers, so the bundle is a third smaller and
  // its cold import about 40% faster than with `main` first (esbuild's default for node).
  mainFields: ['module', 'main'],
  legalComments: 'none',
  // Lambda hands the function its credentials in the environment: the SDK's whole default
  // chain (and the STS/SSO clients it carries) is replaced by an env-only provider.
  alias: { '@aws-sdk/credential-provider-node': lambdaCredentialsModulePath() },
  // Some bundled CommonJS dependencies call require(); ESM output has none, so provide one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'error',
} as const satisfies BuildOptions;

/** The installed worker package's entry module. */
export function workerModulePath(): string {
  return fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker'));
}

/**
 * The generated entry of a worker with tools: the worker's handlers, with `handler`
 * rebuilt around the tools module's array.
 */
export function toolsEntrySource(toolsEntry: string, workerEntry: string): string {
  const tools = JSON.stringify(toolsEntry);
  const worker = JSON.stringify(workerEntry);
  return [
    `import { createHandler } from ${worker};`,
    `import * as toolsModule from ${tools};`,
    `export { failureHandler } from ${worker};`,
    'const tools = toolsModule.tools ?? toolsModule.default;',
    'if (!Array.isArray(tools))',
    `  throw new Error(${JSON.stringify(`bedrock-stream: ${toolsEntry} must export an array of tools (default or \`tools\`)`)});`,
    'export const handler = createHandler({ tools });',
    '',
  ].join('\n');
}

/**
 * The generated entry of a worker without tools: only the two handlers Lambda calls, so
 * the library's other exports (defineTool and its JSON Schema generator, the stores' and
 * publisher's classes) are tree-shaken out of the function's bundle.
 */
export function handlersEntrySource(workerEntry: string): string {
  return `export { handler, failureHandler } from ${JSON.stringify(workerEntry)};\n`;
}

/** The worker bundle in memory, with esbuild's metafile (what each input contributes). */
export function buildWorkerBundle(options: BundleWorkerOptions = {}): {
  code: Uint8Array;
  metafile: Metafile;
} {
  const workerEntry = resolve(options.workerEntry ?? workerModulePath());
  const toolsEntry = options.toolsEntry && resolve(options.toolsEntry);
  if (toolsEntry && !existsSync(toolsEntry))
    throw new Error(`bedrock-stream: tools entry ${toolsEntry} does not exist`);
  const result = buildSync({
    ...WORKER_BUILD_OPTIONS,
    metafile: true,
    stdin: {
      contents: toolsEntry
        ? toolsEntrySource(toolsEntry, workerEntry)
        : handlersEntrySource(workerEntry),
      resolveDir: dirname(workerEntry),
      sourcefile: 'bedrock-stream-worker-entry.mjs',
      loader: 'js',
    },
  });
  return { code: result.outputFiles[0]!.contents, metafile: result.metafile };
}

const bundled = new Map<string, string>();

/**
 * Bundles the worker package's handler into one ESM file (`index.mjs`, exports `handler`
 * and `failureHandler`) for Lambda's Node.js 22 runtime, at synth time, offline and without
 * Docker. The AWS SDK v3 is bundled too rather than taken from the runtime, so the deployed
 * worker runs the SDK versions its tests ran against.
 *
 * With `toolsEntry`, the tools are bundled into the same file (see the README: one cold
 * start, no extra invoke per tool call, the worker's least-privilege role).
 *
 * The bundle is built in memory and written to a content-addressed directory under the OS
 * temp dir (atomic rename), so concurrent synths never see a half-written file and repeated
 * synths leave one directory per distinct worker build rather than one per process.
 * @returns the directory to pass to `lambda.Code.fromAsset`.
 */
export function bundleWorker(options: BundleWorkerOptions = {}): string {
  const key = JSON.stringify([options.toolsEntry ?? '', options.workerEntry ?? '']);
  const cached = bundled.get(key);
  if (cached) return cached;
  const { code } = buildWorkerBundle(options);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `bedrock-stream-worker-${hash}`);
  if (!existsSync(join(dir, 'index.mjs'))) {
    mkdirSync(dir, { recursive: true });
    const partial = join(dir, `.index.mjs.${process.pid}`);
    writeFileSync(partial, code);
    renameSync(partial, join(dir, 'index.mjs'));
  }
  bundled.set(key, dir);
  return dir;
}
