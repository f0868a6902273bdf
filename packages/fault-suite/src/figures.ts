// The suite's figures: one row per case, printed when the case ends and gathered into
// one table when the run ends (see test/global-setup.ts).
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What one case did and what it found. */
export interface CaseFigures {
  /** Short case name, e.g. "worker killed at a random token". */
  name: string;
  /** Streams (or requests, for bad input and security cases) tried. */
  trials: number;
  /** Faults injected (kills, dropped messages, closed sockets, hostile requests, ...). */
  faults: number;
  /** Tokens missing from some client's final text, over all trials. */
  lost: number;
  /** Tokens a client's final text holds more often than the answer does. */
  duplicated: number;
  /** Anything else worth a glance (retries seen, memory, durations). */
  notes?: string;
}

const FIGURES_FILE = fileURLToPath(
  new URL('../.test-results/fault-figures.jsonl', import.meta.url),
);

/** Deletes the figures of an earlier run. */
export function resetFigures(): void {
  rmSync(FIGURES_FILE, { force: true });
}

/** Records a case's figures (appended to the run's file) and prints its row. */
export function reportCase(figures: CaseFigures): void {
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify(figures)}\n`);
  console.log(`[fault-suite] ${formatTable([figures])}`);
}

/** The figures recorded in this run, in order. */
export function readFigures(): CaseFigures[] {
  let raw = '';
  try {
    raw = readFileSync(FIGURES_FILE, 'utf8');
  } catch {
    return [];
  }
  return raw
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CaseFigures);
}

/** A fixed-width table of case figures. */
export function formatTable(rows: CaseFigures[]): string {
  const header = ['case', 'trials', 'faults', 'lost', 'duplicated', 'notes'];
  const cells = rows.map((r) => [
    r.name,
    String(r.trials),
    String(r.faults),
    String(r.lost),
    String(r.duplicated),
    r.notes ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) =>
        i === 0 || i === c.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * Tokens lost and duplicated in `actual` against `expected`, counted on word pieces
 * (a word with its leading whitespace) as a multiset, so text that equals the answer
 * scores 0 and 0 and any loss or repeat shows up however the chunks were cut.
 */
export function tokenDiff(expected: string, actual: string): { lost: number; duplicated: number } {
  if (expected === actual) return { lost: 0, duplicated: 0 };
  const counts = new Map<string, number>();
  for (const piece of pieces(expected)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  let duplicated = 0;
  for (const piece of pieces(actual)) {
    const left = counts.get(piece) ?? 0;
    if (left > 0) counts.set(piece, left - 1);
    else duplicated += 1;
  }
  let lost = 0;
  for (const left of counts.values()) lost += left;
  // Same pieces in another order: nothing lost or repeated, yet wrong; count it as lost.
  if (lost === 0 && duplicated === 0) lost = 1;
  return { lost, duplicated };
}

function pieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Sums the token diffs of many (expected, actual) pairs. */
export function totalDiff(pairs: Array<{ expected: string; actual: string }>): {
  lost: number;
  duplicated: number;
} {
  let lost = 0;
  let duplicated = 0;
  for (const { expected, actual } of pairs) {
    const d = tokenDiff(expected, actual);
    lost += d.lost;
    duplicated += d.duplicated;
  }
  return { lost, duplicated };
}
