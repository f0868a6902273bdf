/**
 * The Vite plugin (`@org/bedrock-stream-client/vite`), imported from the built package as an
 * app's vite.config does: a real `vite build` of a small app with it leaves out what the
 * plugin promises to leave out (paho-mqtt, graphql's CommonJS copy, `debug`, Node's `url`
 * polyfill, the `buffer` package); its shims do what the links ask of them; and a link it does
 * not know fails the build with a message that names the link's version; the dev server's
 * dependency pre-bundling gets the same trimmed link. That the trimmed link works in a
 * browser is apps/web's Chromium tests (they build the app with this plugin).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import {
  build as viteBuild,
  optimizeDeps,
  resolveConfig,
  type BuildOptions,
  type Rolldown,
} from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bedrockStreamClient } from '@org/bedrock-stream-client/vite';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('./fixtures/vite-entry/main.js', import.meta.url));
/** The subscription link as installed (its ES module, which the plugin edits). */
const linkModule = fileURLToPath(
  import.meta.resolve('aws-appsync-subscription-link').replace(/[^/]*$/, 'index.mjs'),
);

type Plugins = ReturnType<typeof bedrockStreamClient>[];

/** A `vite build` (nothing written, not minified) with `plugins`; returns its chunks. */
async function viteChunks(plugins: Plugins, build: BuildOptions): Promise<Rolldown.OutputChunk[]> {
  const result = await viteBuild({
    root: packageDir,
    configFile: false,
    logLevel: 'silent',
    plugins,
    build: { write: false, minify: false, ...build },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  return outputs
    .flatMap((o) => o.output)
    .filter((o): o is Rolldown.OutputChunk => o.type === 'chunk');
}

/** Builds the fixture app with vite and the given plugins; returns its chunks. */
async function buildApp(plugins: Plugins) {
  const chunks = await viteChunks(plugins, { rolldownOptions: { input: entry } });
  return {
    code: chunks.map((c) => c.code).join('\n'),
    /** Every bundled module as `package/path` (node_modules) or the client's own path. */
    modules: chunks.flatMap((c) =>
      Object.keys(c.modules).map((id) => id.replace(/^.*node_modules[\\/]/, '')),
    ),
  };
}

const packageOf = (module: string) => module.match(/^(@[^/]+\/[^/]+|[^/.][^/]*)\//)?.[1] ?? '(own)';

describe('bedrockStreamClient() in a vite build', () => {
  let trimmed: Awaited<ReturnType<typeof buildApp>>;
  let plain: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    [trimmed, plain] = await Promise.all([buildApp([bedrockStreamClient()]), buildApp([])]);
  }, 120_000);

  it('the same app without the plugin bundles what the plugin cuts (the test sees them)', () => {
    expect(plain.code).toMatch(/PahoMQTT/);
    const packages = new Set(plain.modules.map(packageOf));
    for (const name of ['debug', 'url', 'buffer']) expect(packages, name).toContain(name);
    expect(plain.modules).toContainEqual(expect.stringMatching(/^graphql\/.*\.js$/));
  });

  it('leaves out paho-mqtt: only the stub that says why remains', () => {
    expect(trimmed.code).not.toMatch(/PahoMQTT|Paho\.MQTT|MQIsdp|ClientImpl/);
    expect(trimmed.code.match(/MQTT/g)).toHaveLength(1);
    expect(trimmed.code).toContain('the legacy MQTT subscription link is not bundled');
  });

  it('bundles graphql once, from its ES build', () => {
    const graphql = trimmed.modules.filter((m) => packageOf(m) === 'graphql');
    expect(graphql).toContain('graphql/language/printer.mjs');
    expect(graphql.filter((m) => !m.endsWith('.mjs'))).toEqual([]);
  });

  it('bundles no debug, ms, url polyfill or buffer package; the links get the shims', () => {
    const packages = new Set(trimmed.modules.map(packageOf));
    for (const name of ['debug', 'ms', 'url', 'buffer', 'qs', 'punycode']) {
      expect(packages, name).not.toContain(name);
    }
    const shims = trimmed.modules.filter((m) => /vite[\\/]shims[\\/]/.test(m));
    expect(shims.map((m) => m.replace(/^.*shims[\\/]/, '')).sort()).toEqual([
      'debug.js',
      'link-buffer.js',
      'no-global-buffer.js',
      'url.js',
    ]);
  });
});

describe('the global Buffer in a plugin build', () => {
  /** `entry` bundled by vite as an IIFE (one file, dynamic imports inlined) with `plugins`. */
  async function iife(entryFile: string, plugins: Plugins) {
    const chunks = await viteChunks(plugins, {
      lib: { entry: entryFile, formats: ['iife'], name: 'bundle' },
    });
    return chunks[0]!.code;
  }

  it.each([
    ['with the plugin: none is installed', true, 'undefined'],
    ['without it: the buffer package’s', false, 'function'],
  ])('before a subscription, %s', async (_case, withPlugin, bufferType) => {
    const code = await iife(
      fileURLToPath(new URL('./fixtures/vite-entry/realtime-globals.js', import.meta.url)),
      withPlugin ? [bedrockStreamClient()] : [],
    );
    // A browser-like realm: a WebSocket, no Buffer (nor anything else of Node's).
    const realm = createContext({});
    runInContext('globalThis.WebSocket = class WebSocket {}', realm);
    runInContext(code, realm);
    await (runInContext('bundle.ensureRealtimeGlobals()', realm) as Promise<void>);
    expect(runInContext('typeof Buffer', realm)).toBe(bufferType);
  });
});

describe('the shims', () => {
  it('link Buffer: UTF-8 text to base64 as Node’s Buffer does; anything else is refused', async () => {
    const { Buffer: LinkBuffer } = await import('../src/vite/shims/link-buffer.js');
    for (const text of ['{"host":"h"}', 'Grüße, 世界 🌊', '']) {
      expect(LinkBuffer.from(text).toString('base64')).toBe(Buffer.from(text).toString('base64'));
    }
    expect(() => LinkBuffer.from('x').toString('hex' as 'base64')).toThrow(
      /only encodes to base64/,
    );
    expect(() => LinkBuffer.from(new Uint8Array(1))).toThrow(/only encodes strings/);
  });

  it('no-global-buffer: the client installs no global Buffer in plugin builds', async () => {
    const { loadGlobalBuffer } = await import('../src/vite/shims/no-global-buffer.js');
    expect(await loadGlobalBuffer()).toBeUndefined();
  });

  it('url: parse gives the fields of Node’s url.parse the links read', async () => {
    const { parse } = await import('../src/vite/shims/url.js');
    expect(parse('https://api.example.com:8443/graphql?x=1')).toEqual({
      href: 'https://api.example.com:8443/graphql?x=1',
      protocol: 'https:',
      host: 'api.example.com:8443',
      hostname: 'api.example.com',
      port: '8443',
      pathname: '/graphql',
      search: '?x=1',
      query: 'x=1',
      path: '/graphql?x=1',
    });
  });

  it('debug: a silent logger with the namespace the link’s own extend() reads', async () => {
    const { default: debug } = await import('../src/vite/shims/debug.js');
    const logger = debug('aws-appsync');
    expect(logger.namespace).toBe('aws-appsync');
    expect(logger.enabled).toBe(false);
    expect(logger.extend('subscriptions').namespace).toBe('aws-appsync:subscriptions');
    expect(logger('a message', { data: 1 })).toBeUndefined();
    expect(debug.enabled('aws-appsync')).toBe(false);
  });
});

describe('a subscription link the plugin does not know', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bsc-vite-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fake install of the link at `version` whose lib/index.mjs is `code`; runs the hook. */
  function transformAs(version: string, code: string) {
    const lib = join(dir, version, 'node_modules', 'aws-appsync-subscription-link', 'lib');
    mkdirSync(lib, { recursive: true });
    writeFileSync(join(lib, '..', 'package.json'), JSON.stringify({ version }));
    writeFileSync(join(lib, 'index.mjs'), code);
    const hook = bedrockStreamClient().transform as (code: string, id: string) => unknown;
    return () => hook(code, join(lib, 'index.mjs'));
  }

  const real = readFileSync(linkModule, 'utf8');

  it('the installed link is trimmed: paho gone, Buffer imported from the shim', () => {
    const result = transformAs('4.0.3', real)() as { code: string };
    expect(result.code).not.toContain('require_paho_mqtt');
    expect(result.code.length).toBeLessThan(real.length * 0.6);
    expect(result.code).toMatch(/^import \{ Buffer \} from ".*link-buffer\.js";\n/);
  });

  it.each([
    ['no paho markers', real.replace('// src/vendor/paho-mqtt.js', '// vendor')],
    ['the paho client used twice', real + '\nvar again = __toESM(require_paho_mqtt());'],
    ['another Buffer use', real.replace('Buffer.from(headerString)', 'Buffer.alloc(4)')],
  ])('fails the build, naming the version, when it has %s', (_case, code) => {
    expect(transformAs('9.9.9', code)).toThrow(
      /aws-appsync-subscription-link 9\.9\.9 is not laid out as the versions this plugin trims/,
    );
  });

  it('leaves every other module alone', () => {
    const hook = bedrockStreamClient().transform as (code: string, id: string) => unknown;
    expect(hook('export {}', '/app/node_modules/aws-appsync-auth-link/lib/index.mjs')).toBeNull();
    expect(hook('export {}', '/app/src/main.ts')).toBeNull();
  });
});

describe("the dev server's dependency pre-bundling", () => {
  it('gets the same trimmed link as a build', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'bedrock-stream-vite-deps-'));
    try {
      const config = await resolveConfig(
        {
          root: packageDir,
          configFile: false,
          logLevel: 'silent',
          cacheDir,
          plugins: [bedrockStreamClient()],
          optimizeDeps: { include: ['aws-appsync-subscription-link'], noDiscovery: true },
        },
        'serve',
      );
      await optimizeDeps(config, true);
      const depsDir = join(cacheDir, 'deps');
      const code = readdirSync(depsDir)
        .filter((f) => f.endsWith('.js'))
        .map((f) => readFileSync(join(depsDir, f), 'utf8'))
        .join('\n');
      expect(code).toContain('createSubscriptionHandshakeLink');
      expect(code).not.toMatch(/PahoMQTT|Paho\.MQTT|MQIsdp|ClientImpl|require_paho_mqtt/);
      expect(code).toContain('the legacy MQTT subscription link is not bundled');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
