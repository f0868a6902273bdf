import { describe, expect, it } from 'vitest';
import { runBench } from '../src/index.js';

// Checks that every scenario runs and loses nothing; timings are printed, never asserted.
describe('bench --quick', () => {
  it('runs every scenario with 0 tokens lost or duplicated', async () => {
    const doc = await runBench({ quick: true, log: (l) => console.log(l) });
    expect(doc.results.map((r) => r.name)).toEqual([
      'cold start (fresh process, `await import(bundle)`)',
      'client weight',
      'overhead to first token',
      'first text through a 100 ms RTT link',
      'publish cost',
      'publish cost, reasoning + tool + text',
      'round trips on the server path',
      'concurrency',
      'fan-out',
      'memory',
      'conversations',
    ]);
    for (const r of doc.results) {
      console.log(r.name, JSON.stringify(r.figures));
      expect({ scenario: r.name, lost: r.lost, duplicated: r.duplicated }).toEqual({
        scenario: r.name,
        lost: 0,
        duplicated: 0,
      });
    }
  }, 240_000);
});
