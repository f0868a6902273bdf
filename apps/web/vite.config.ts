import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * `vite` dev server only: serve /config.json from the running local stack's state file, as the
 * stack's own static server does for the built app, so hot-reload work needs no flags.
 */
function localStackConfig(): Plugin {
  const file =
    process.env['BEDROCK_STREAM_CONFIG'] ??
    fileURLToPath(new URL('../../.state/local-stack.json', import.meta.url));
  return {
    name: 'bedrock-stream-local-config',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/config.json', (_req, res) => {
        if (!existsSync(file)) {
          res.statusCode = 404;
          res.end(`no ${file}: start the local stack with pnpm start`);
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'no-store');
        res.end(readFileSync(file));
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), localStackConfig()],
  // The AppSync subscription link expects Node's `global` in browsers.
  define: { global: 'globalThis' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  resolve: {
    // The AppSync links are CommonJS: their require() of graphql's index and of Node's `url`
    // would bring the whole graphql library and the `url` polyfill's query-string stack.
    // Each alias gives them only what they call (see src/shims/).
    alias: [
      {
        find: /^graphql\/index\.js$/,
        replacement: fileURLToPath(new URL('./src/shims/graphql-cjs.ts', import.meta.url)),
      },
      {
        find: /^url$/,
        replacement: fileURLToPath(new URL('./src/shims/url.ts', import.meta.url)),
      },
    ],
  },
});
