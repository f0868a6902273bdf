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

export default defineConfig({
  // bedrockStreamClient(): the AppSync links get only what the client uses of them.
  plugins: [react(), bedrockStreamClient(), localStackConfig()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
