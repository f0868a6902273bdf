// Cold start: the worker bundle as infra builds it vs. the SDK-only floor vs. Amplify AI Kit's
// bundled conversation handler, each imported by fresh Node processes, interleaved.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import {
  WORKER_BUILD_OPTIONS,
  buildWorkerBundle,
  workerModulePath,
} from '@org/bedrock-stream-infra';
import { packageOf } from './package-of.js';
import type { ScenarioResult } from './scenarios.js';
import { percentile, summary } from './stats.js';

/**
 * Exactly the AWS SDK parts the worker calls (Bedrock streaming on both APIs, the five
 * DynamoDB commands of its record, ledger, history and purge, SigV4 for publishChunk),
 * and nothing else: the floor a worker built on the SDK can reach. A test checks it names
 * every SDK command the worker bundle carries.
 */
export const SDK_FLOOR_ENTRY = `
import { BedrockRuntimeClient, ConverseStreamCommand, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Sha256 } from '@aws-crypto/sha256-js';
export const parts = [BedrockRuntimeClient, ConverseStreamCommand, InvokeModelWithResponseStreamCommand, DynamoDBClient, BatchWriteItemCommand, GetItemCommand, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand, marshall, unmarshall, SignatureV4, HttpRequest, Sha256];
export const handler = async () => parts.length;
`;

/** Bytes each package contributes to a bundle, largest first (workspace packages by name). */
export function composition(metafile: Metafile): Array<{ name: string; kb: number }> {
  const output = Object.values(metafile.outputs)[0]!;
  const bytes = new Map<string, number>();
  // Metafile paths are relative to esbuild's working directory, this process's.
  for (const [path, input] of Object.entries(output.inputs)) {
    const name = packageOf(resolve(path));
    bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => ({ name, kb: Math.round(n / 102.4) / 10 }));
}

/**
 * What a fresh Node process (the binary `node`) prints around `await import(file)`: `before`
 * runs first, then the import, then `after` (a JS expression) is written to stdout.
 */
function freshImport(node: string, file: string, before: string, after: string): number {
  const script = `${before};await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(${after}))`;
  const out = execFileSync(node, ['--input-type=module', '-e', script], {
    // The Amplify handler reads its region from the environment at import, as in Lambda.
    env: { ...process.env, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: 'bench' },
    encoding: 'utf8',
  });
  return Number(out);
}

/** Milliseconds a fresh Node process (the binary `node`) spends in `await import(file)`. */
function coldImportMs(node: string, file: string): number {
  return freshImport(node, file, 'const t=performance.now()', 'performance.now()-t');
}

/**
 * How many zod objects (schemas and checks) `file` builds at import, each ~15 µs of a cold
 * start. Counted through zod's post-processing hook (`__zod_globalConfig.postProcessor`,
 * called once per object it builds); null when the bundle has no zod.
 */
function zodObjectsBuiltAtImport(file: string): number | null {
  const before = 'let n=0;globalThis.__zod_globalConfig={postProcessor:()=>{n+=1}}';
  const n = freshImport(process.execPath, file, before, 'n');
  return n > 0 ? n : null;
}

/** The Node major Lambda runs the worker on (infra's `Runtime.NODEJS_22_X`). */
const LAMBDA_NODE_MAJOR = 22;

/** A Node binary of Lambda's major: this one, else npm's `node@22` package (as the tests use). */
function lambdaNode(): { node: string; version: string } | undefined {
  if (process.versions.node.startsWith(`${LAMBDA_NODE_MAJOR}.`)) {
    return { node: process.execPath, version: process.version };
  }
  try {
    const out = execFileSync(
      'npx',
      ['-y', `node@${LAMBDA_NODE_MAJOR}`, '-e', 'console.log(process.execPath, process.version)'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    const [node, version] = out.split(' ');
    return node && version ? { node, version } : undefined;
  } catch {
    return undefined;
  }
}

/** Amplify AI Kit's prebundled conversation handler, as its construct deploys it. */
function amplifyHandlerPath(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@aws-amplify/ai-constructs');
  return join(dirname(main), 'conversation/runtime/default_handler_bundled/index.js');
}

/** The SDK-only entry bundled with `options` (the worker package's SDK versions). */
export function bundleFloor(options: BuildOptions) {
  return buildSync({
    ...options,
    metafile: true,
    stdin: {
      contents: SDK_FLOOR_ENTRY,
      // The worker package's own dependencies, so both bundles use the same SDK versions.
      resolveDir: dirname(workerModulePath()),
      sourcefile: 'sdk-floor.mjs',
      loader: 'js',
    },
  });
}

/** Cold `import` of the worker bundle vs. the SDK-only floor vs. Amplify AI Kit's handler. */
export async function coldStart(quick: boolean): Promise<ScenarioResult> {
  const runs = quick ? 5 : 31;
  const dir = mkdtempSync(join(tmpdir(), 'bedrock-stream-cold-'));
  try {
    const worker = buildWorkerBundle();
    // The floor the target is checked against: bundled exactly like the worker. Beside it,
    // the SDK as esbuild bundles it by default (CommonJS builds, the whole credential
    // chain): the 0.60 MB floor issue 18 was measured against.
    const { mainFields: _mainFields, alias: _alias, ...esbuildDefaults } = WORKER_BUILD_OPTIONS;
    const floor = bundleFloor(WORKER_BUILD_OPTIONS);
    const defaultFloor = bundleFloor(esbuildDefaults);
    const files = {
      worker: join(dir, 'worker.mjs'),
      sdkFloor: join(dir, 'sdk-floor.mjs'),
      sdkDefaultFloor: join(dir, 'sdk-default-floor.mjs'),
      amplify: amplifyHandlerPath(),
    };
    writeFileSync(files.worker, worker.code);
    writeFileSync(files.sdkFloor, floor.outputFiles![0]!.contents);
    writeFileSync(files.sdkDefaultFloor, defaultFloor.outputFiles![0]!.contents);
    const names = Object.keys(files) as Array<keyof typeof files>;
    // Lambda's Node first (the target is checked there), then this machine's when it differs.
    const lambda = lambdaNode();
    const runtimes = [
      ...(lambda ? [{ label: `${lambda.version} (Lambda's runtime)`, node: lambda.node }] : []),
      ...(lambda?.node === process.execPath
        ? []
        : [{ label: `${process.version} (this process)`, node: process.execPath }]),
    ];
    const mb = (file: string) => Math.round(statSync(file).size / 10_485.76) / 100;
    const round2 = (n: number) => Math.round(n * 100) / 100;
    const ratio = (a: number, b: number) => round2(a / b);
    const measured = runtimes.map(({ label, node }) => {
      const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
        keyof typeof files,
        number[]
      >;
      // Interleaved, rotating who goes first, so machine load drifts over every bundle alike.
      for (let i = 0; i < runs; i += 1)
        for (let k = 0; k < names.length; k += 1) {
          const name = names[(i + k) % names.length]!;
          samples[name].push(coldImportMs(node, files[name]));
        }
      const s = Object.fromEntries(names.map((n) => [n, summary(samples[n])])) as Record<
        keyof typeof files,
        ReturnType<typeof summary>
      >;
      // Each round runs every bundle once, back to back: the median of the rounds' own
      // ratios cancels the load drift that separate medians of noisy samples keep.
      const paired = (a: number[], b: number[]) =>
        round2(
          percentile(
            a.map((x, i) => x / b[i]!),
            50,
          ),
        );
      return {
        label,
        s,
        pairedVsFloor: paired(samples.worker, samples.sdkFloor),
        pairedVsAmplify: paired(samples.worker, samples.amplify),
      };
    });
    return {
      name: 'cold start (fresh process, `await import(bundle)`)',
      settings: {
        runsEach: runs,
        order: 'interleaved, rotating',
        target:
          "worker <= 1.3x SDK floor (bundled like the worker) and <= 0.8x Amplify AI Kit handler: the ratio of p50s, and the median of each round's own ratio (paired)",
        runtimes:
          "Lambda's Node (22; npm's node@22 when this process is another major), then this process's Node",
      },
      figures: {
        rows: [
          ...measured.flatMap(({ label, s, pairedVsFloor, pairedVsAmplify }) => [
            {
              node: label,
              bundle: 'worker (as infra builds it)',
              mb: mb(files.worker),
              importMs: s.worker,
            },
            {
              node: label,
              bundle: 'SDK-only floor (bundled like the worker)',
              mb: mb(files.sdkFloor),
              importMs: s.sdkFloor,
            },
            {
              node: label,
              bundle:
                'SDK-only floor (esbuild defaults: CommonJS builds, default credential chain)',
              mb: mb(files.sdkDefaultFloor),
              importMs: s.sdkDefaultFloor,
            },
            {
              node: label,
              bundle: 'Amplify AI Kit conversation handler',
              mb: mb(files.amplify),
              importMs: s.amplify,
            },
            {
              node: label,
              workerVsFloorP50: ratio(s.worker.p50, s.sdkFloor.p50),
              workerVsDefaultFloorP50: ratio(s.worker.p50, s.sdkDefaultFloor.p50),
              workerVsAmplifyP50: ratio(s.worker.p50, s.amplify.p50),
              workerVsFloorPaired: pairedVsFloor,
              workerVsAmplifyPaired: pairedVsAmplify,
            },
          ]),
          { workerZodObjectsBuiltAtImport: zodObjectsBuiltAtImport(files.worker) },
          { workerComposition: composition(worker.metafile).slice(0, 12) },
        ],
      },
      lost: 0,
      duplicated: 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
