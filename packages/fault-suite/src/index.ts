/**
 * @packageDocumentation
 * The fault, load and abuse suite's harness: the suite stack and clients, store reads,
 * and the figures each case prints.
 */
export * from './figures.js';
export * from './harness.js';
export * from './ledger.js';
export * from './proxy.js';
