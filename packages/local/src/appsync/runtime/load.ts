import { readFile } from 'node:fs/promises';
import vm from 'node:vm';
import { extensions, runtime, util } from './util.js';

/** The handlers of one APPSYNC_JS file. */
export interface ResolverCode {
  file: string;
  request?: (ctx: unknown) => unknown;
  response?: (ctx: unknown) => unknown;
}

// Statements real APPSYNC_JS rejects, cheap to spot in the bundled source.
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\btry\s*\{/, 'try/catch'],
  [/\bthrow\s/, 'throw'],
  [/\bwhile\s*\(/, 'while loops'],
  [/\bclass\s+\w/, 'classes'],
  [/\basync\s+function\b|\bawait\s/, 'async/await'],
  [/\.padStart\(|\.padEnd\(/, 'String.padStart/padEnd'],
];

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*["']@aws-appsync\/utils["'];?\s*$/gm;
const BARE_IMPORT = /^import\s*["']@aws-appsync\/utils["'];?\s*$/gm;
const EXPORT = /^export\s*\{([^}]*)\};?\s*$/m;

/**
 * Loads a bundled APPSYNC_JS file (ESM, `@aws-appsync/utils` external) into an isolated
 * VM context with the emulator's `util`, `extensions` and `runtime` injected in place
 * of the import. The same file is what CDK deploys.
 */
export async function loadResolverCode(file: string): Promise<ResolverCode> {
  const source = await readFile(file, 'utf8');
  for (const [pattern, what] of UNSUPPORTED) {
    if (pattern.test(source)) throw new Error(`${file}: APPSYNC_JS does not support ${what}`);
  }
  let body = source.replace(BARE_IMPORT, '').replace(IMPORT, (_m, names: string) => {
    const bindings = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .map((n) => {
        const [imported, local] = n.split(/\s+as\s+/).map((s) => s.trim());
        return local ? `${imported}: ${local}` : imported;
      });
    return `const { ${bindings.join(', ')} } = __appsyncUtils;`;
  });
  const exported = EXPORT.exec(body);
  if (!exported)
    throw new Error(
      `${file}: no \`export { request, response }\` found (is it an esbuild ESM bundle?)`,
    );
  body = body.replace(EXPORT, '');
  const names = exported[1]!
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => {
      const [local, as] = n.split(/\s+as\s+/).map((s) => s.trim());
      return `${as ?? local}: ${local}`;
    });
  const context = vm.createContext({
    __appsyncUtils: { util, extensions, runtime },
    __exports: {},
  });
  vm.runInContext(`${body}\n__exports = { ${names.join(', ')} };`, context, { filename: file });
  const handlers = context['__exports'] as Pick<ResolverCode, 'request' | 'response'>;
  return { file, request: handlers.request, response: handlers.response };
}
