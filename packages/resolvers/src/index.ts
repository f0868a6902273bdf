/**
 * @packageDocumentation
 * APPSYNC_JS resolvers of bedrock-stream (bundled to dist/appsync/) and `apiDefinition`,
 * the one wiring that both the CDK construct and the local emulator use.
 */
export { apiDefinition, codeFile } from './definition.js';
export type {
  ApiDefinition,
  ApiSettings,
  DataSourceDefinition,
  FunctionDefinition,
  ResolverDefinition,
} from './definition.js';
