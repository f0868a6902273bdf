#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one summary line
// `N passed, N failed` from the vitest JSON reports in */.test-results/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).map((name) => join(root, dir, name))
    : [],
);
for (const ws of workspaces) rmSync(join(ws, '.test-results'), { recursive: true, force: true });

const extra = process.argv.slice(2);
// Concurrency 1: the end-to-end suites start servers and must not fight over 2 cores.
const turbo = spawnSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'typecheck',
    'lint',
    'test',
    '--concurrency=1',
    '--continue',
    '--output-logs=new-only',
    ...extra,
  ],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

// Lambda runs Node 22, and the AWS SDK needs it from 2027: the worker's, the client's and
// the contracts' (which both run) suites run again under Node 22 (npm's `node@22`
// package), each with its own report.
const NODE22_SUITES = ['packages/contracts', 'packages/worker', 'packages/client'];
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');
let node22Status = 0;
if (process.env['SKIP_NODE22'] !== '1') {
  for (const suite of NODE22_SUITES) {
    console.log(`\n=== ${suite} under Node 22 ===`);
    const run = spawnSync('npx', ['-y', 'node@22', vitestBin, 'run'], {
      cwd: join(root, suite),
      stdio: 'inherit',
      env: { ...process.env, VITEST_REPORT_NAME: 'vitest-node22' },
    });
    if (run.status !== 0) node22Status = 1;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
/** Adds one vitest JSON report to the totals. */
function count(report) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A suite that failed to load has no failed tests but must still count as a failure.
  failed += (json.testResults ?? []).filter(
    (r) => r.status === 'failed' && r.assertionResults?.length === 0,
  ).length;
}
for (const ws of workspaces) {
  if (!existsSync(join(ws, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(ws, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const report = join(ws, '.test-results', 'vitest.json');
  if (!existsSync(report)) {
    missing.push(pkg.name);
    continue;
  }
  count(report);
}
if (process.env['SKIP_NODE22'] !== '1') {
  for (const suite of NODE22_SUITES) {
    const report = join(root, suite, '.test-results', 'vitest-node22.json');
    if (existsSync(report)) count(report);
    else missing.push(`${suite} (Node 22)`);
  }
}
if (missing.length) {
  console.error(`no test report from: ${missing.join(', ')}`);
  failed += missing.length;
}
const code = turbo.status === 0 && node22Status === 0 && failed === 0 ? 0 : 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code);
