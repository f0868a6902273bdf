/**
 * Browser safety by construction: both published entries bundle for `platform: 'browser'`
 * with no polyfills (a Node built-in anywhere in the graph fails the build), and the code
 * runs in a realm that has neither `Buffer` nor `process` (a bare `node:vm` context: only the
 * ECMAScript built-ins, not even TextEncoder or timers).
 *
 * The entries are bundled by package name from the built `dist/` (what `pnpm pack` ships),
 * so `exports` is exercised too.
 */
import { fileURLToPath } from 'node:url';
import { createContext, runInContext, type Context } from 'node:vm';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `contents` (an ES module importing by package name) for browsers, no polyfills. */
async function bundleForBrowser(contents: string, options: BuildOptions = {}) {
  const result = await build({
    stdin: { contents, resolveDir: packageDir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...options,
  });
  return { text: result.outputFiles![0]!.text, metafile: result.metafile! };
}

/** Everything the bundle could not include (left as a runtime import). */
function externalImports(metafile: Metafile): string[] {
  return Object.values(metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.external).map((i) => i.path),
  );
}

/** A realm with only the ECMAScript built-ins: no Buffer, process, global, TextEncoder. */
function bareRealm(): Context {
  const realm = createContext({});
  expect(
    runInContext(
      '[typeof Buffer, typeof process, typeof global, typeof require, typeof TextEncoder]',
      realm,
    ),
  ).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
  return realm;
}

/** Runs an IIFE bundle in `realm` and returns its exports (as `globalThis.bundle`). */
async function loadInRealm<T>(realm: Context, contents: string): Promise<T> {
  const { text } = await bundleForBrowser(contents, { format: 'iife', globalName: 'bundle' });
  runInContext(text, realm);
  return runInContext('bundle', realm) as T;
}

describe('browser bundle (esbuild, platform browser, no polyfills)', () => {
  it('fails on a Node built-in, so a passing bundle has none', async () => {
    await expect(
      bundleForBrowser(`import { existsSync } from 'node:fs'; existsSync('x');`),
    ).rejects.toThrow(/node:fs/);
    // The Node-only helpers live on their own subpath, which browsers must never import.
    await expect(
      bundleForBrowser(`export { schemaFiles } from '@org/bedrock-stream-contracts/node';`),
    ).rejects.toThrow(/node:/);
  });

  it.each([
    ['@org/bedrock-stream-client', 'createStreamClient'],
    ['@org/bedrock-stream-client/react', 'useBedrockStream'],
    ['@org/bedrock-stream-contracts', 'safeDecodeChunkPayload'],
  ])('%s bundles with no Node built-in', async (entry, name) => {
    const { metafile } = await bundleForBrowser(`export { ${name} } from '${entry}';`);
    expect(externalImports(metafile)).toEqual([]);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((path) => path.startsWith('node:'))).toEqual([]);
    // Bundled from the built package, not from sources.
    expect(inputs.some((path) => /(^|\/)dist\//.test(path))).toBe(true);
  });
});

interface ContractsBundle {
  safeDecodeChunkPayload: (
    raw: unknown,
  ) =>
    | { ok: true; value: { v: number; events: { type: string }[] }; skipped: unknown[] }
    | { ok: false; error: { code: string; message: string } };
  encodeChunkPayload: (payload: unknown) => string;
  LIMITS: { chunkPayloadBytes: number };
}

describe('contracts decoder in a realm without Buffer or process', () => {
  it('decodes a valid payload and returns (never throws) failures for bad ones', async () => {
    const realm = bareRealm();
    const contracts = await loadInRealm<ContractsBundle>(
      realm,
      `export { safeDecodeChunkPayload, encodeChunkPayload, LIMITS } from '@org/bedrock-stream-contracts';`,
    );
    const payload = {
      v: 1,
      events: [
        { type: 'text', text: 'Grüße, 世界 🌊' },
        { type: 'futureEvent', anything: true },
      ],
    };
    const ok = contracts.safeDecodeChunkPayload(JSON.stringify(payload));
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.value.events).toEqual([{ type: 'text', text: 'Grüße, 世界 🌊' }]);
      expect(ok.skipped).toEqual([{ index: 1, type: 'futureEvent' }]);
    }
    // The writer side (UTF-8 size check) runs there too.
    expect(contracts.encodeChunkPayload({ v: 1, events: [{ type: 'text', text: 'hi' }] })).toBe(
      '{"v":1,"events":[{"type":"text","text":"hi"}]}',
    );

    const failures = {
      notJson: contracts.safeDecodeChunkPayload('{"v":1,'),
      invalid: contracts.safeDecodeChunkPayload('{"v":1,"events":[{"type":"text","text":7}]}'),
      // Under the bound in UTF-16 code units, over it in UTF-8 bytes (3 bytes per '€'):
      // only a real UTF-8 count (no Buffer here) rejects it.
      oversize: contracts.safeDecodeChunkPayload(
        JSON.stringify({
          v: 1,
          events: [{ type: 'text', text: '€'.repeat(contracts.LIMITS.chunkPayloadBytes / 2) }],
        }),
      ),
    };
    expect(
      Object.fromEntries(Object.entries(failures).map(([k, r]) => [k, r.ok ? 'ok' : r.error.code])),
    ).toEqual({ notJson: 'NOT_JSON', invalid: 'INVALID_PAYLOAD', oversize: 'OVERSIZE' });
  });
});

interface ClientBundle {
  ChunkAssembler: new () => {
    push(chunk: { attempt: number; seq: number; payload: unknown }): unknown;
    readonly text: string;
  };
  ensureRealtimeGlobals: (webSocketImpl?: unknown) => Promise<void>;
}

describe('client core in a realm without Buffer or process', () => {
  it('loads and assembles text there, and installs Buffer only when a subscription needs it', async () => {
    const realm = bareRealm();
    const client = await loadInRealm<ClientBundle>(
      realm,
      // ensureRealtimeGlobals moved to /internal with the small public API.
      `export { ChunkAssembler } from '@org/bedrock-stream-client';
       export { ensureRealtimeGlobals } from '@org/bedrock-stream-client/internal';`,
    );
    // Importing the whole core (Apollo, the AppSync links, contracts) touched no global.
    expect(runInContext('typeof Buffer', realm)).toBe('undefined');

    const assembler = new client.ChunkAssembler();
    const chunk = (seq: number, events: unknown[]) => ({
      attempt: 1,
      seq,
      payload: JSON.stringify({ v: 1, events }),
    });
    assembler.push(chunk(1, [{ type: 'text', text: 'world' }]));
    assembler.push(
      chunk(0, [
        { type: 'start', modelId: 'm', attempt: 1, startedAt: '2024-01-01T00:00:00.000Z' },
        { type: 'text', text: 'hello ' },
      ]),
    );
    expect(assembler.text).toBe('hello world');

    // What the transport runs right before subscribing: the realm has a WebSocket (as
    // browsers do) but no Buffer, which the subscription link's handshake needs.
    runInContext('globalThis.WebSocket = class WebSocket {}', realm);
    await client.ensureRealtimeGlobals();
    expect(runInContext(`Buffer.from('{"host":"h"}').toString('base64')`, realm)).toBe(
      'eyJob3N0IjoiaCJ9',
    );
  });
});
