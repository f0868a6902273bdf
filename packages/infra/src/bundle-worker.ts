import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

let bundled: string | undefined;

/**
 * Bundles the worker package's handler into one ESM file (`index.mjs`, export `handler`) for
 * Lambda's Node.js 22 runtime, at synth time, offline and without Docker. The AWS SDK v3 is
 * bundled too rather than taken from the runtime, so the deployed worker runs the SDK
 * versions its tests ran against. Bundled once per process into a private temp directory
 * (concurrent synths never write the same file); CDK hashes the contents for the asset.
 * @returns the directory to pass to `lambda.Code.fromAsset`.
 */
export function bundleWorker(): string {
  if (bundled) return bundled;
  const outDir = mkdtempSync(join(tmpdir(), 'bedrock-stream-worker-'));
  process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
  buildSync({
    entryPoints: [fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker'))],
    outfile: join(outDir, 'index.mjs'),
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
  bundled = outDir;
  return outDir;
}
