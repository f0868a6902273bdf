/**
 * The local stack's worker entry with the demo server tools (`worker.demoTools`): the
 * async invoker loads this module in its worker processes instead of the plain worker.
 */
import { createHandler } from '@org/bedrock-stream-worker';
import { DEMO_TOOLS } from './demo-tools.js';

export { failureHandler } from '@org/bedrock-stream-worker';

/** The worker's handler with the demo tools. */
export const handler = createHandler({ tools: DEMO_TOOLS });
