import { cpus } from 'node:os';
import { clientWeight } from './client-weight.js';
import { coldStart } from './cold-start.js';
import { mixedPublishCost } from './mixed-output.js';
import { roundTrips } from './round-trips.js';
import { conversations } from './conversations.js';
import { firstToken } from './first-token.js';
import {
  concurrency,
  fanOut,
  memory,
  overhead,
  publishCost,
  type ScenarioResult,
} from './scenarios.js';

export const SCENARIOS = {
  coldStart,
  clientWeight,
  overhead,
  firstToken,
  publishCost,
  mixedPublishCost,
  roundTrips,
  concurrency,
  fanOut,
  memory,
  conversations,
} as const;

/** Runs every scenario (or the named ones) and returns the results document. */
export async function runBench(options: {
  quick: boolean;
  only?: string[];
  log?: (line: string) => void;
}) {
  const results: ScenarioResult[] = [];
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (options.only && !options.only.includes(name)) continue;
    options.log?.(`running ${name}${options.quick ? ' (quick)' : ''}…`);
    const t0 = Date.now();
    results.push(await scenario(options.quick));
    options.log?.(`  ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return {
    date: new Date().toISOString(),
    quick: options.quick,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: process.platform,
    },
    results,
  };
}

/** A plain-text table of the figures. */
export function table(doc: Awaited<ReturnType<typeof runBench>>): string {
  const lines = [
    `bedrock-stream bench — ${doc.machine.cores} cores, ${doc.machine.cpu}, Node ${doc.machine.node}${doc.quick ? ' (quick)' : ''}`,
  ];
  for (const r of doc.results) {
    lines.push(
      '',
      `## ${r.name}  (lost ${r.lost}, duplicated ${r.duplicated})`,
      `settings: ${JSON.stringify(r.settings)}`,
    );
    const rows = (r.figures['rows'] as Array<Record<string, unknown>> | undefined) ?? [r.figures];
    for (const row of rows) lines.push(`  ${JSON.stringify(row)}`);
  }
  return lines.join('\n');
}
