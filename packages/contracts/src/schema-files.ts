import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The build copies schema/*.graphql into dist/schema/ so the published package is
// self-contained; running from src (tests) falls back to the repo's schema/.
const bundled = new URL('./schema/', import.meta.url);
const dir = existsSync(fileURLToPath(new URL('schema.graphql', bundled)))
  ? bundled
  : new URL('../../../schema/', import.meta.url);

/**
 * Absolute paths of the schema files, for tools that load the SDL (the local
 * emulator, infra, tests). `deployable` is what AppSync accepts; `awsBuiltins`
 * declares AppSync's scalars/directives for graphql-js and must never be deployed.
 */
export const schemaFiles = {
  deployable: fileURLToPath(new URL('schema.graphql', dir)),
  awsBuiltins: fileURLToPath(new URL('aws.graphql', dir)),
} as const;
