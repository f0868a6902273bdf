import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generate, type CodegenConfig } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('generated code', () => {
  it('matches what `pnpm codegen` produces from schema/ (regenerate and commit if this fails)', async () => {
    const configUrl = pathToFileURL(`${root}codegen.ts`).href;
    const { default: config } = (await import(configUrl)) as { default: CodegenConfig };
    const outputs = await generate({ ...config, cwd: root, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = readFileSync(new URL(output.filename, `file://${root}`), 'utf8');
      expect(committed, `${output.filename} is stale: run pnpm codegen`).toBe(output.content);
    }
  });
});
