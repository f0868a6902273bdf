// Client weight: the built web app's JavaScript (gzipped) and the client SDK's own share.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import type { ScenarioResult } from './scenarios.js';

const WEB_DIR = fileURLToPath(new URL('../../../apps/web/', import.meta.url));
/** Third-party packages of the client SDK: left out to measure the SDK's own code. */
const THIRD_PARTY = [
  'react',
  'react-dom',
  '@apollo/client',
  'aws-appsync-auth-link',
  'aws-appsync-subscription-link',
  'graphql',
  'zod',
  'rxjs',
  'buffer',
  'ws',
];

const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;

/** Minified and gzipped size of one entry bundled for browsers. */
function browserBundle(entry: string, external: string[]): { kb: number; gzipKb: number } {
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external: external.flatMap((p) => [p, `${p}/*`]),
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  return { kb: kb(code.length), gzipKb: kb(gzipSync(code, { level: 9 }).length) };
}

/** The built web app's JavaScript (gzipped), and the client SDK's own share (core, /react). */
export async function clientWeight(): Promise<ScenarioResult> {
  // The page as it ships: Vite's production build.
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: WEB_DIR, stdio: 'inherit' });
  const assets = fileURLToPath(new URL('dist/assets/', `file://${WEB_DIR}`));
  const files = readdirSync(assets).filter((f) => f.endsWith('.js'));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const code = readFileSync(`${assets}${f}`);
    raw += code.length;
    gzip += gzipSync(code, { level: 9 }).length;
  }
  const require = createRequire(import.meta.url);
  const core = require.resolve('@org/bedrock-stream-client');
  const react = core.replace(/index\.js$/, 'react/index.js');
  return {
    name: 'client weight',
    settings: {
      target: 'web app JS <= 130 KB gzipped',
      sdkShare:
        'client SDK bundled for browsers, its third-party packages left out (own code + contracts)',
    },
    figures: {
      rows: [
        { what: 'web app JS (all chunks)', files: files.length, kb: kb(raw), gzipKb: kb(gzip) },
        { what: 'client SDK core, own code', ...browserBundle(core, THIRD_PARTY) },
        { what: 'client SDK /react, own code', ...browserBundle(react, THIRD_PARTY) },
        {
          what: 'client SDK core with its dependencies',
          ...browserBundle(core, ['react', 'react-dom', 'ws']),
        },
      ],
    },
    lost: 0,
    duplicated: 0,
  };
}
