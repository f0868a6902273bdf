// `pnpm bench [--quick] [--only a,b]`: prints the table and writes bench/results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench, SCENARIOS, table } from './run.js';

// `pnpm bench -- --quick` hands node a literal `--` first: drop it.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: { quick: { type: 'boolean' }, only: { type: 'string' } },
});
const only = values.only?.split(',').filter(Boolean);
const unknown = only?.filter((n) => !(n in SCENARIOS));
if (unknown?.length) {
  process.stderr.write(
    `bench: unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}\n`,
  );
  process.exit(2);
}
const doc = await runBench({
  quick: Boolean(values.quick),
  only,
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write(`${table(doc)}\n`);
const out = fileURLToPath(new URL('../../../bench/results.json', import.meta.url));
mkdirSync(new URL('../../../bench/', import.meta.url), { recursive: true });
writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
process.stderr.write(`wrote ${out}\n`);
process.exit(0);
