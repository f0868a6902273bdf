/** Benchmarks of bedrock-stream (see README). */
export { runBench, table, SCENARIOS } from './run.js';
export type { ScenarioResult } from './scenarios.js';
