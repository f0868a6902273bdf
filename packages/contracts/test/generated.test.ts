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

describe('operation sources', () => {
  it('each <Name>Source is exactly print(<Name>Document), fragments included', async () => {
    const { print } = await import('graphql');
    const contracts = (await import('../src/index.js')) as unknown as Record<string, unknown>;
    const names = Object.keys(contracts).filter((k) => k.endsWith('Source'));
    expect(names).toContain('PublishChunkSource');
    for (const name of names) {
      const document = contracts[name.replace(/Source$/, 'Document')];
      expect(print(document as Parameters<typeof print>[0]), name).toBe(contracts[name]);
    }
  });
});
