/**
 * The packages as a user gets them: `pnpm pack` the contracts and the client, install both
 * tarballs with npm into a fresh Vite + React + TS app outside the workspace (the
 * create-vite react-ts setup, default config: no polyfills, no aliases), typecheck and build
 * it, serve the build from the real local stack and stream an answer in Chromium with the
 * README's usage (`createStreamClient` + `client.stream`). The app's dependencies other than
 * the two tarballs come from the npm registry (the npm cache makes later runs fast).
 *
 * Skipped with the reason when Chromium or the built stack is missing. The screenshot goes
 * to test-artifacts/packed-app.png.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamChunksDocument } from '@org/bedrock-stream-contracts';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkAssembler, createStreamClient, type StreamClient } from '../src/index.js';
import { deterministicAnswer, skipReason as stackSkipReason, stackModule } from './stack-loader.js';

const CHROMIUM = '/usr/bin/chromium';
const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const clientDir = here('..');
const contractsDir = here('../../contracts/');
const repoRoot = here('../../../');
const fixtureDir = here('./fixtures/packed-app/');
const artifacts = here('../test-artifacts/');

const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (apt-get install -y chromium)`
  : stackSkipReason;

const PROMPT = 'How do rivers find the sea?';
const OUTPUT_TOKENS = 60;

/**
 * The environment for npm and pnpm: without the `npm_*` variables of the pnpm script that
 * runs this test (they would configure npm as if it ran inside the workspace), keeping the
 * ones that say how to reach the registry.
 */
function toolEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cache|.*proxy|strict_ssl|cafile|ca)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || keep.test(key)),
  );
}

/** Runs a command; rejects with its output's tail when it fails or times out. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: toolEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout + stderr);
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
        reject(
          new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n${tail}`),
        );
      },
    );
  });
}

/** The pnpm this repo pins (root package.json `packageManager`), through npx. */
const pnpmSpec = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { packageManager: string }
).packageManager;

interface PackResult {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

async function pnpmPack(dir: string, destination: string): Promise<PackResult> {
  const out = await run(
    'npx',
    ['-y', pnpmSpec, 'pack', '--json', '--pack-destination', destination],
    dir,
    120_000,
  );
  return JSON.parse(out.slice(out.indexOf('{'))) as PackResult;
}

interface PackedManifest {
  name: string;
  version: string;
  exports: Record<string, { types: string; default: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

describe.skipIf(skipReason !== null)(
  `packed client in a fresh Vite + React app${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let work: string;
    let appDir: string;
    let packed: { client: PackResult; contracts: PackResult };
    let buildLog: string;
    let stack: Awaited<ReturnType<NonNullable<typeof stackModule>['startLocalStack']>>;
    let nodeClient: StreamClient;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'bedrock-stream-packed-app-'));
      // Outside the workspace, so nothing resolves through the repo's node_modules.
      expect(relative(repoRoot, work).startsWith('..')).toBe(true);
      const tarballs = join(work, 'tarballs');
      mkdirSync(tarballs);
      packed = {
        contracts: await pnpmPack(contractsDir, tarballs),
        client: await pnpmPack(clientDir, tarballs),
      };
      // The fixture's package.json depends on file:../tarballs/{client,contracts}.tgz.
      renameSync(packed.client.filename, join(tarballs, 'client.tgz'));
      renameSync(packed.contracts.filename, join(tarballs, 'contracts.tgz'));
      appDir = join(work, 'app');
      cpSync(fixtureDir, appDir, { recursive: true });

      await run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
        appDir,
        180_000,
      );
      await run(join(appDir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], appDir, 120_000);
      buildLog = await run(join(appDir, 'node_modules/.bin/vite'), ['build'], appDir, 120_000);
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      nodeClient?.close();
      await stack?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('packs installable tarballs: workspace deps pinned, every export shipped', () => {
      const manifest = (dir: string) =>
        JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackedManifest;
      const installed = {
        client: manifest(join(appDir, 'node_modules/@org/bedrock-stream-client')),
        contracts: manifest(join(appDir, 'node_modules/@org/bedrock-stream-contracts')),
      };
      expect(installed.client.dependencies?.['@org/bedrock-stream-contracts']).toBe(
        packed.contracts.version,
      );
      for (const [name, pkg] of Object.entries(installed)) {
        const specs = { ...pkg.dependencies, ...pkg.peerDependencies };
        expect(
          Object.values(specs).filter((s) => s.startsWith('workspace:')),
          name,
        ).toEqual([]);
        const files = new Set(packed[name as keyof typeof packed].files.map((f) => f.path));
        for (const target of Object.values(pkg.exports).flatMap((e) => [e.types, e.default])) {
          expect(files.has(target.replace(/^\.\//, '')), `${name} ${target}`).toBe(true);
        }
        // Only the build output and the manifest files, no sources or tests.
        expect(
          [...files].filter((f) => !/^(dist\/|package\.json$|README|LICENSE)/.test(f)),
        ).toEqual([]);
      }
      // One copy of contracts: the client's dependency is the app's tarball.
      expect(
        existsSync(join(appDir, 'node_modules/@org/bedrock-stream-client/node_modules/@org')),
      ).toBe(false);
    });

    it('builds with the default Vite config: nothing externalized for the browser', () => {
      expect(buildLog).not.toMatch(/externalized for browser compatibility/);
      const assets = join(appDir, 'dist/assets');
      const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
      expect(js.length).toBeGreaterThan(0);
      for (const file of js) {
        expect(readFileSync(join(assets, file), 'utf8'), file).not.toMatch(
          /__vite-browser-external/,
        );
      }
    });

    it('streams the stored answer in Chromium', async () => {
      stack = await stackModule!.startLocalStack({
        webDir: join(appDir, 'dist'),
        model: { timeToFirstTokenMs: 50, tokensPerSecond: 60, outputTokens: OUTPUT_TOKENS },
      });
      const config = stack.config as typeof stack.config & {
        webUrl: string | null;
        defaultModelId: string;
      };
      expect(config.webUrl).toBeTruthy();
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      page = await browser.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      await page.goto(config.webUrl!);
      await page.getByTestId('prompt').fill(PROMPT);
      await page.getByTestId('ask').click();
      const status = page.getByTestId('status');
      await expect
        .poll(() => status.textContent(), { timeout: 30_000 })
        .toMatch(/^(done|cancelled|error)$/);
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'packed-app.png'), fullPage: true });

      expect(await page.getByTestId('problem').count()).toBe(0);
      expect(await status.textContent()).toBe('done');
      expect(pageErrors).toEqual([]);
      const answer = (await page.getByTestId('answer').textContent()) ?? '';
      const streamId = (await status.getAttribute('data-stream-id')) ?? '';
      // It streamed: the text arrived in several updates, not as one block.
      expect(Number(await status.getAttribute('data-updates'))).toBeGreaterThan(1);

      // The answer equals the text in the store, read from Node with the workspace client.
      nodeClient = createStreamClient({
        url: stack.config.graphqlUrl,
        region: stack.config.region,
        auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
      });
      const stored = new ChunkAssembler();
      let nextToken: string | null = null;
      do {
        const res = await nodeClient.apollo!.query({
          query: StreamChunksDocument,
          variables: { streamId, limit: 100, nextToken },
        });
        const page: {
          items: { attempt: number; seq: number; payload: unknown }[];
          nextToken: string | null;
        } = res.data!.streamChunks;
        for (const item of page.items) stored.push(item);
        nextToken = page.nextToken;
      } while (nextToken);
      expect(stored.text.length).toBeGreaterThan(0);
      expect(answer).toBe(stored.text);
      if (deterministicAnswer) {
        expect(answer).toBe(deterministicAnswer(PROMPT, config.defaultModelId, OUTPUT_TOKENS));
      }
    }, 90_000);
  },
);
