/**
 * The README's `ts`/`tsx` examples are kept, verbatim, as files in test/readme-examples/,
 * which `pnpm typecheck` compiles against the package's source (tsconfig.json maps the
 * package's entries to src). This test keeps README and files identical; after editing an
 * example, run it with UPDATE_README_EXAMPLES=1 to rewrite the files, then typecheck.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packageDir = new URL('..', import.meta.url).pathname;
const examplesDir = join(packageDir, 'test', 'readme-examples');
const EXAMPLE_FILE = /^example-\d+\.tsx?$/;

function readmeExamples(): { file: string; code: string }[] {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(tsx?)\n([\s\S]*?)^```/gm)].map((m, i) => ({
    file: `example-${i + 1}.${m[1]}`,
    code: m[2]!,
  }));
}

describe('README', () => {
  const examples = readmeExamples();

  if (process.env['UPDATE_README_EXAMPLES']) {
    for (const f of readdirSync(examplesDir)) {
      if (EXAMPLE_FILE.test(f)) rmSync(join(examplesDir, f));
    }
    for (const e of examples) writeFileSync(join(examplesDir, e.file), e.code);
  }

  it('every TypeScript example is a typechecked file in test/readme-examples/', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const files = readdirSync(examplesDir).filter((f) => EXAMPLE_FILE.test(f));
    expect(files.sort()).toEqual(examples.map((e) => e.file).sort());
    for (const e of examples) {
      expect(readFileSync(join(examplesDir, e.file), 'utf8'), e.file).toBe(e.code);
    }
  });
});
