import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: every package writes a JSON report to .test-results/ so
 * `scripts/run-tests.mjs` can print one `N passed, N failed` line for the repo.
 * @param {{ testTimeout?: number, include?: string[], environment?: string, setupFiles?: string[] }} [overrides]
 */
export function packageTestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: overrides.include ?? ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      environment: overrides.environment ?? 'node',
      setupFiles: overrides.setupFiles ?? [],
      // VITEST_REPORT_NAME: a second run of a suite (run-tests.mjs under Node 22) keeps its own report.
      reporters: [
        'default',
        [
          'json',
          { outputFile: `.test-results/${process.env.VITEST_REPORT_NAME ?? 'vitest'}.json` },
        ],
      ],
    },
  });
}
