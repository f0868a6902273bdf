// Clears the figures before the run and prints the whole table after it.
import { formatTable, readFigures, resetFigures } from '../src/figures.js';

export function setup(): void {
  resetFigures();
}

export function teardown(): void {
  const rows = readFigures();
  if (rows.length === 0) return;
  process.stdout.write(`\nFault, load and abuse suite: figures\n${formatTable(rows)}\n\n`);
}
