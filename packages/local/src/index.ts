export {};
/** Bedrock-compatible local endpoint (issue 3). */
export * from './bedrock/index.js';
