/**
 * @packageDocumentation
 * `@org/bedrock-stream-client/vite`: the Vite plugin that trims what the AppSync links bring
 * into a browser bundle and the client does not use. Node-only (it runs in vite.config).
 *
 * The links (aws-appsync-auth-link, aws-appsync-subscription-link) are written for Node and
 * for an older protocol too; bundled as they are, they bring a second, CommonJS copy of
 * graphql's printer, Node's `url` polyfill, the `debug` logger, a vendored MQTT client and a
 * `Buffer` polyfill. Every change below is scoped to imports made by the two links (or, for
 * the Buffer, by this client), so the app's own `url`, `debug` or `buffer` imports are left
 * alone.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { importLinkBuffer, removePahoMqtt } from './trim-subscription-link.js';

const shim = (name: string) => fileURLToPath(new URL(`./shims/${name}.js`, import.meta.url));
/** The client's runtime module, whose `./link-buffer.js` import the plugin replaces. */
const clientRuntime = fileURLToPath(new URL('../runtime.js', import.meta.url));

const SHIMS = {
  url: shim('url'),
  debug: shim('debug'),
  linkBuffer: shim('link-buffer'),
  noGlobalBuffer: shim('no-global-buffer'),
};

/** A module of either AppSync link (their lib/ files, wherever the package manager put them). */
const LINK_MODULE = /[\\/]aws-appsync-(?:auth|subscription)-link[\\/]lib[\\/][^\\/]+$/;
/** The subscription link's ES module, the one the plugin edits. */
const SUBSCRIPTION_LINK_ESM = /[\\/]aws-appsync-subscription-link[\\/]lib[\\/]index\.mjs$/;
/** A CommonJS graphql module the links import by path (`graphql/index.js`, `graphql/language/printer.js`). */
const GRAPHQL_CJS = /^graphql\/(.+)\.js$/;

const withoutQuery = (id: string) => id.replace(/[?#].*$/, '');

/** The version in the package.json above a module of the link, for error messages. */
function linkVersion(moduleId: string): string {
  try {
    const file = join(dirname(moduleId), '..', 'package.json');
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '(unknown version)';
  } catch {
    return '(unknown version)';
  }
}

/** The hooks, shared by the build and by the dev server's dependency pre-bundling. */
const hooks = {
  async resolveId(
    this: {
      resolve(
        source: string,
        importer?: string,
        options?: { skipSelf?: boolean },
      ): Promise<{ id: string } | null>;
    },
    source: string,
    importer: string | undefined,
  ): Promise<string | null> {
    if (importer === undefined) return null;
    const from = withoutQuery(importer);
    if (from === clientRuntime && source === './link-buffer.js') return SHIMS.noGlobalBuffer;
    if (!LINK_MODULE.test(from)) return null;
    if (source === 'url') return SHIMS.url;
    if (source === 'debug') return SHIMS.debug;
    // The same module of graphql's ES build (graphql ships an .mjs beside each .js), which
    // is the copy Apollo and the app use: graphql is bundled once.
    const graphqlModule = GRAPHQL_CJS.exec(source);
    if (graphqlModule) {
      const esm = await this.resolve(`graphql/${graphqlModule[1]}.mjs`, importer, {
        skipSelf: true,
      });
      return esm?.id ?? null;
    }
    return null;
  },
  transform(code: string, id: string): { code: string; map: null } | null {
    const file = withoutQuery(id);
    if (!SUBSCRIPTION_LINK_ESM.test(file)) return null;
    const version = linkVersion(file);
    const trimmed = importLinkBuffer(removePahoMqtt(code, version), version, SHIMS.linkBuffer);
    return { code: trimmed, map: null };
  },
};

/**
 * The Vite plugin for apps using `@org/bedrock-stream-client` in the browser. It gives the
 * AppSync links only what the client uses of them:
 * - graphql's CommonJS modules they import by path → the same modules of graphql's ES build
 *   (one graphql in the bundle, not two);
 * - Node's `url` → a `parse` on the browser's URL; `debug` → a silent logger;
 * - aws-appsync-subscription-link's vendored MQTT client (its legacy handshake, which the
 *   client never uses) → removed, with a stub that throws if it is ever called;
 * - its global `Buffer` → a module-local base64 encoder, and then the client installs no
 *   global Buffer (the `buffer` package is not bundled).
 *
 * Applies to builds and to the dev server's dependency pre-bundling. When the subscription
 * link's source is not what the plugin knows (a new version), the build fails and says so.
 *
 * @example
 * ```ts
 * // vite.config.ts
 * import { bedrockStreamClient } from '@org/bedrock-stream-client/vite';
 * import { defineConfig } from 'vite';
 *
 * export default defineConfig({ plugins: [bedrockStreamClient()] });
 * ```
 */
export function bedrockStreamClient(): Plugin {
  return {
    name: 'bedrock-stream-client',
    enforce: 'pre',
    config: () => ({
      // The dev server pre-bundles the links with Rolldown, outside Vite's plugin pipeline.
      optimizeDeps: {
        rolldownOptions: { plugins: [{ name: 'bedrock-stream-client:deps', ...hooks }] },
      },
    }),
    ...hooks,
  };
}
