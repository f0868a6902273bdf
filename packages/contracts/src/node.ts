/**
 * @packageDocumentation
 * Node-only helpers of the contract (they read the file system), kept off the main
 * entry so that nothing a browser bundle reaches imports a Node built-in.
 */
export { schemaFiles } from './schema-files.js';
