// Which package a bundled source file belongs to, for the bench's bundle compositions
// (cold start's esbuild metafile, client weight's source maps).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

const NODE_MODULES = `${sep}node_modules${sep}`;
/** Package names by the folder holding their package.json (read once per run). */
const namesByDir = new Map<string, string>();

/**
 * The package an absolute source path belongs to: its name under the last `node_modules`
 * (scoped names whole), else the name in the nearest package.json above it (the
 * workspace's own packages), else `(unknown)`.
 */
export function packageOf(sourcePath: string): string {
  const inModules = sourcePath.lastIndexOf(NODE_MODULES);
  if (inModules !== -1) {
    const parts = sourcePath.slice(inModules + NODE_MODULES.length).split(sep);
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  for (let dir = dirname(sourcePath); dir !== dirname(dir); dir = dirname(dir)) {
    const known = namesByDir.get(dir);
    if (known) return known;
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name ?? dir;
      namesByDir.set(dir, name);
      return name;
    }
  }
  return '(unknown)';
}
