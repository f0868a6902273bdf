import { packageTestConfig } from '../../vitest.shared.mjs';

export default packageTestConfig({ testTimeout: 60_000 });
