import { packageTestConfig } from '../../vitest.shared.mjs';

// Synthesizing (and bundling the worker) is CPU-heavy on 2 cores.
export default packageTestConfig({ testTimeout: 120_000 });
