import { readFile } from 'node:fs/promises';
import { loadResolverCode, type LoadedResolver } from '../runtime/index.js';
import type { Engine } from './graphql.js';
import type { AppSyncEmulatorOptions } from './options.js';
import { buildEmulatedSchema } from './schema.js';

/**
 * Builds what every request runs on: the schema (from SDL text or files) and the
 * APPSYNC_JS resolvers and pipeline functions the definition names, loaded once.
 * @throws Error when a pipeline names a function the definition does not have.
 */
export async function loadEngine(options: AppSyncEmulatorOptions): Promise<Engine> {
  const sdl =
    options.schemaSdl ??
    (await Promise.all((options.schemaFiles ?? []).map((f) => readFile(f, 'utf8')))).join('\n');
  const schema = buildEmulatedSchema(sdl);
  const resolvers = new Map<string, LoadedResolver>();
  for (const r of options.definition.resolvers) {
    const functions = await Promise.all(
      (r.functions ?? []).map(async (name) => {
        const fn = options.definition.functions[name];
        if (!fn)
          throw new Error(`resolver ${r.typeName}.${r.fieldName} names unknown function '${name}'`);
        return { name, code: await loadResolverCode(fn.codeFile), dataSource: fn.dataSource };
      }),
    );
    resolvers.set(`${r.typeName}.${r.fieldName}`, {
      kind: r.kind,
      code: await loadResolverCode(r.codeFile),
      dataSource: r.dataSource,
      functions,
    });
  }
  return {
    schema,
    resolvers,
    dataSources: options.dataSources,
    env: options.environmentVariables ?? {},
    defaultMode: options.auth.defaultMode,
  };
}
