import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bedrockStreamClient } from '@org/bedrock-stream-client/vite';
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

/**
 * What the page runs on: Preact's React-compatible runtime (default: the page's JavaScript is
 * about 60 KB gzipped lighter) or, with `WEB_RUNTIME=react`, React 19 itself. The code is
 * React code either way.
 */
const WEB_RUNTIME = process.env['WEB_RUNTIME'] ?? 'preact';
if (WEB_RUNTIME !== 'preact' && WEB_RUNTIME !== 'react') {
  throw new Error(`WEB_RUNTIME must be preact or react, not ${WEB_RUNTIME}`);
}
/** A Preact entry point as resolved from apps/web (pnpm is strict: the client SDK cannot see it). */
const preactEntry = (specifier: string) => fileURLToPath(import.meta.resolve(specifier));
/** React's entry points, the app's and its dependencies' (the SDK's /react). */
const PREACT_AS_REACT = [
  { find: /^react$/, replacement: preactEntry('preact/compat') },
  { find: /^react-dom$/, replacement: preactEntry('preact/compat') },
  { find: /^react-dom\/client$/, replacement: preactEntry('preact/compat/client') },
  { find: /^react\/jsx-runtime$/, replacement: preactEntry('preact/compat/jsx-runtime') },
  { find: /^react\/jsx-dev-runtime$/, replacement: preactEntry('preact/compat/jsx-dev-runtime') },
];

export default defineConfig({
  plugins: [
    // React Fast Refresh needs React itself: on Preact, a dev-server edit reloads the page.
    react(WEB_RUNTIME === 'preact' ? { refreshExclude: /./ } : {}),
    // bedrockStreamClient(): the AppSync links get only what the client uses of them.
    bedrockStreamClient(),
    localStackConfig(),
  ],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  resolve: { alias: WEB_RUNTIME === 'preact' ? PREACT_AS_REACT : [] },
});
