import { mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.mjs';

export default mergeConfig(packageTestConfig(), {
  test: {
    // Type tests (test/*.test-d.ts) run with every `vitest run`: tsc checks them and each
    // `it` is reported like a runtime test.
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    server: {
      deps: {
        // Run contracts' built ESM natively (not through vite's transform): under the jsdom
        // environment a transformed module's import.meta.url is not a file: URL, which
        // contracts' schemaFiles (node:fs) needs at import time.
        external: [/packages\/contracts\/dist/, /bedrock-stream-contracts/],
      },
    },
  },
});
