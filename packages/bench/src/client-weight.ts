// Client weight: the built web app's JavaScript (gzipped) on each runtime, what it is made of,
// and the client SDK's own share.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';
import { build, type Rolldown } from 'vite';
import { bedrockStreamClient } from '@org/bedrock-stream-client/vite';
import { packageOf } from './package-of.js';
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
/** How many packages the composition rows name (the rest are summed up in one row). */
const TOP_PACKAGES = 15;
/** Code no source file wrote: the bundler's module glue. */
const GLUE = '(bundler glue)';
const BY_PACKAGE = 'shipped web app JS by package';

const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;
const gzipBytes = (code: Uint8Array | string) => gzipSync(code, { level: 9 }).length;

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
  return { kb: kb(code.length), gzipKb: kb(gzipBytes(code)) };
}

/** The module id of {@link viteAppBundle}'s entry (virtual: it exists only in the build). */
const VITE_ENTRY = '\0bench-client-entry';

/**
 * What the client SDK costs an app built with Vite and the client's own plugin
 * (`bedrockStreamClient()`): a production build of an entry that only creates a client,
 * every chunk gzipped.
 */
async function viteAppBundle(): Promise<{ kb: number; gzipKb: number }> {
  const result = await build({
    root: fileURLToPath(new URL('../', import.meta.url)),
    configFile: false,
    logLevel: 'error',
    plugins: [
      bedrockStreamClient(),
      {
        name: 'bench-client-entry',
        resolveId: (id) => (id === VITE_ENTRY ? id : null),
        load: (id) =>
          id === VITE_ENTRY
            ? // An app build keeps no entry exports: the client must be used to stay in.
              "import { createStreamClient } from '@org/bedrock-stream-client';\n" +
              'globalThis.createStreamClient = createStreamClient;'
            : null,
      },
    ],
    build: { write: false, rolldownOptions: { input: VITE_ENTRY } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  let raw = 0;
  let gzip = 0;
  for (const chunk of outputs.flatMap((o) => o.output)) {
    if (chunk.type !== 'chunk') continue;
    raw += Buffer.byteLength(chunk.code);
    gzip += gzipBytes(chunk.code);
  }
  return { kb: kb(raw), gzipKb: kb(gzip) };
}

/** One chunk of Vite's `.vite/manifest.json` (the fields read here). */
interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

/** A production build of apps/web in a temp folder (apps/web/dist stays the shipped build). */
interface WebBuild {
  outDir: string;
  /** Every JavaScript file, relative to outDir. */
  files: string[];
  /** The entry chunk and what it imports statically: what the page loads before it runs. */
  firstLoad: string[];
}

/**
 * `vite build` of apps/web on one runtime (`WEB_RUNTIME`), with its manifest and hidden
 * source maps (written beside the chunks, not referenced by them: the JavaScript is the
 * same bytes as the shipped build's).
 */
function buildWeb(runtime: 'preact' | 'react'): WebBuild {
  const outDir = mkdtempSync(join(tmpdir(), `web-${runtime}-`));
  execFileSync(
    'npx',
    [
      'vite',
      'build',
      '--logLevel',
      'error',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--manifest',
      '--sourcemap',
      'hidden',
    ],
    { cwd: WEB_DIR, stdio: 'inherit', env: { ...process.env, WEB_RUNTIME: runtime } },
  );
  const manifest = JSON.parse(readFileSync(join(outDir, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const files = [...new Set(Object.values(manifest).map((c) => c.file))].filter((f) =>
    f.endsWith('.js'),
  );
  const firstLoad = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key]!;
    if (firstLoad.has(chunk.file)) return;
    firstLoad.add(chunk.file);
    chunk.imports?.forEach(visit);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
  return { outDir, files, firstLoad: [...firstLoad] };
}

/** Total raw and gzipped bytes of some of a build's files (each file gzipped on its own). */
function weigh(build: WebBuild, files: string[]): { files: number; kb: number; gzipKb: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const code = readFileSync(join(build.outDir, f));
    raw += code.length;
    gzip += gzipBytes(code);
  }
  return { files: files.length, kb: kb(raw), gzipKb: kb(gzip) };
}

/**
 * What a build's JavaScript is made of, per package: each chunk's source map attributes every
 * span of minified code to a source file, and each package's spans, joined, are gzipped on
 * their own (so the rows add up to a little more than the whole: gzip shares no context).
 */
function compositionBySourceMaps(
  build: WebBuild,
): Array<{ what: string; package: string; kb: number; gzipKb: number }> {
  const spans = new Map<string, string[]>();
  const add = (pkg: string, code: string) => {
    if (!code) return;
    const list = spans.get(pkg);
    if (list) list.push(code);
    else spans.set(pkg, [code]);
  };
  for (const file of build.files) {
    const path = join(build.outDir, file);
    const lines = readFileSync(path, 'utf8').split('\n');
    const map = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as RawSourceMap;
    const byLine: Array<Array<{ column: number; pkg: string }>> = lines.map(() => []);
    new SourceMapConsumer(map).eachMapping(
      (m) => {
        const pkg = m.source
          ? packageOf(resolve(dirname(path), map.sourceRoot ?? '', m.source))
          : GLUE;
        byLine[m.generatedLine - 1]?.push({ column: m.generatedColumn, pkg });
      },
      undefined,
      SourceMapConsumer.GENERATED_ORDER,
    );
    // A mapping owns the code from its column to the next mapping (or its line's end).
    lines.forEach((text, line) => {
      const onLine = byLine[line]!;
      add(GLUE, text.slice(0, onLine[0]?.column ?? text.length));
      onLine.forEach((m, i) => add(m.pkg, text.slice(m.column, onLine[i + 1]?.column)));
    });
  }
  const rows = [...spans].map(([pkg, parts]) => {
    const code = parts.join('');
    return { pkg, raw: Buffer.byteLength(code), gzip: gzipBytes(code) };
  });
  rows.sort((a, b) => b.gzip - a.gzip);
  const rest = rows.slice(TOP_PACKAGES);
  return [
    ...rows
      .slice(0, TOP_PACKAGES)
      .map((r) => ({ what: BY_PACKAGE, package: r.pkg, kb: kb(r.raw), gzipKb: kb(r.gzip) })),
    ...(rest.length
      ? [
          {
            what: BY_PACKAGE,
            package: `${rest.length} more packages`,
            kb: kb(rest.reduce((s, r) => s + r.raw, 0)),
            gzipKb: kb(gzipBytes(rest.map((r) => spans.get(r.pkg)!.join('')).join(''))),
          },
        ]
      : []),
  ];
}

/**
 * The built web app's JavaScript (gzipped) as shipped (Preact) and on React 19, all chunks and
 * first load; the shipped build by package; the client SDK's own share (core, /react).
 */
export async function clientWeight(): Promise<ScenarioResult> {
  const shipped = buildWeb('preact');
  const onReact = buildWeb('react');
  try {
    const require = createRequire(import.meta.url);
    const core = require.resolve('@org/bedrock-stream-client');
    const react = core.replace(/index\.js$/, 'react/index.js');
    return {
      name: 'client weight',
      settings: {
        target: 'web app JS <= 130 KB gzipped',
        runtimes:
          'as shipped: Preact (preact/compat stands in for react and react-dom); React: the same app built with WEB_RUNTIME=react',
        firstLoad: 'the entry chunk and its static imports (lazy chunks left out)',
        byPackage:
          'shipped build, from its source maps: each package’s minified code gzipped on its own',
        sdkShare:
          'client SDK bundled for browsers, its third-party packages left out (own code + contracts)',
      },
      figures: {
        rows: [
          { what: 'web app JS, Preact (shipped), all chunks', ...weigh(shipped, shipped.files) },
          {
            what: 'web app JS, Preact (shipped), first load',
            ...weigh(shipped, shipped.firstLoad),
          },
          { what: 'web app JS, React 19, all chunks', ...weigh(onReact, onReact.files) },
          { what: 'web app JS, React 19, first load', ...weigh(onReact, onReact.firstLoad) },
          ...compositionBySourceMaps(shipped),
          { what: 'client SDK core, own code', ...browserBundle(core, THIRD_PARTY) },
          { what: 'client SDK /react, own code', ...browserBundle(react, THIRD_PARTY) },
          {
            what: 'client SDK core with its dependencies (esbuild, no plugin)',
            ...browserBundle(core, ['react', 'react-dom', 'ws']),
          },
          {
            what: 'client SDK core with its dependencies (Vite + bedrockStreamClient())',
            ...(await viteAppBundle()),
          },
        ],
      },
      lost: 0,
      duplicated: 0,
    };
  } finally {
    rmSync(shipped.outDir, { recursive: true, force: true });
    rmSync(onReact.outDir, { recursive: true, force: true });
  }
}
