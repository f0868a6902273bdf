import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.mjs';

// One stack per file, files one after another: the cases measure loss under faults, not
// how two stacks fight over 2 cores.
export default mergeConfig(
  packageTestConfig({ testTimeout: 120_000 }),
  defineConfig({ test: { fileParallelism: false, globalSetup: ['test/global-setup.ts'] } }),
);
