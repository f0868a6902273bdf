export {};
/** Bedrock-compatible local endpoint (issue 3). */
export * from './bedrock/index.js';
/** Local AppSync emulator, APPSYNC_JS runtime and data sources (issue 4). */
export * from './appsync/index.js';
/** DynamoDB-compatible store (dynalite) and the Lambda async invoker. */
export * from './dynamodb/index.js';
export * from './invoker/index.js';
/** The seeded PRNG the local stand-ins draw their faults and answers from. */
export { prng } from './shared/prng.js';
