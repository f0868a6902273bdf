import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

let bundled: string | undefined;

/**
 * Bundles the worker package's handler into one ESM file (`index.mjs`, export `handler`) for
 * Lambda's Node.js 22 runtime, at synth time, offline and without Docker. The AWS SDK v3 is
 * bundled too rather than taken from the runtime, so the deployed worker runs the SDK
 * versions its tests ran against.
 *
 * The bundle is built in memory and written to a content-addressed directory under the OS
 * temp dir (atomic rename), so concurrent synths never see a half-written file and repeated
 * synths leave one directory per distinct worker build rather than one per process.
 * @returns the directory to pass to `lambda.Code.fromAsset`.
 */
export function bundleWorker(): string {
  if (bundled) return bundled;
  const result = buildSync({
    entryPoints: [fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker'))],
    outfile: 'index.mjs',
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    legalComments: 'none',
    // Some bundled CommonJS dependencies call require(); ESM output has none, so provide one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `bedrock-stream-worker-${hash}`);
  if (!existsSync(join(dir, 'index.mjs'))) {
    mkdirSync(dir, { recursive: true });
    const partial = join(dir, `.index.mjs.${process.pid}`);
    writeFileSync(partial, code);
    renameSync(partial, join(dir, 'index.mjs'));
  }
  bundled = dir;
  return dir;
}
