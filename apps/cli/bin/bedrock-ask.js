#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (pnpm build).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('bedrock-ask: not built yet; run `pnpm build` at the repo root first\n');
  process.exit(2);
}
await import(main.href);
