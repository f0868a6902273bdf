import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/**
 * Bundles the worker package's handler into one ESM file for Lambda (Node.js 22).
 * The AWS SDK v3 clients in the runtime could be used, but bundling them pins the
 * versions we test against. Runs at synth time, offline, without Docker.
 */
export function bundleWorker(outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const entry = fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker'));
  buildSync({
    entryPoints: [entry],
    outfile: `${outDir}/index.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // Some bundled CJS dependencies call require(); give ESM output a require.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'error',
  });
  return outDir;
}
