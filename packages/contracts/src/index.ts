/**
 * @packageDocumentation
 * The one contract of bedrock-stream: generated GraphQL types and TypedDocumentNodes
 * (from schema/), zod schemas of the startStream input and chunk payloads, the limits
 * and the table design. Shared by the client, the worker, the resolvers and infra.
 */
export * from './generated/operations.js';
export type * as SchemaTypes from './generated/schema-types.js';
export * from './limits.js';
export * from './vocabulary.js';
export * from './table.js';
export * from './quotas.js';
export * from './quota-error.js';
export * from './events.js';
export * from './start-input.js';
export * from './codec.js';
export * from './message-parts.js';
export * from './conversation-history.js';
export * from './retry.js';
export { utf8ByteLength } from './utf8.js';
export { once } from './lazy-schema.js';
export * from './generated/operation-sources.js';
