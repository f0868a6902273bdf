// Bundles each APPSYNC_JS resolver/function to dist/appsync/<kind>/<name>.js with the
// settings AWS documents for APPSYNC_JS: ESM, `@aws-appsync/utils` external, no
// minification of names, inline sourcemap off (AppSync caps code size).
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

const entries = ['functions', 'resolvers'].flatMap((dir) =>
  readdirSync(new URL(`../src/appsync/${dir}/`, import.meta.url))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `src/appsync/${dir}/${f}`),
);

await build({
  entryPoints: entries,
  outdir: 'dist/appsync',
  outbase: 'src/appsync',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  external: ['@aws-appsync/utils'],
  minify: false,
  sourcemap: false,
  treeShaking: true,
  legalComments: 'none',
  logLevel: 'warning',
});
