import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes the ready JSON line to `path`; the returned `remove()` deletes it on stop (a
 * stale file would point apps at dead ports), unless another stack has overwritten it.
 */
export function writeStateFile(path: string, config: unknown): { remove(): Promise<void> } {
  const line = `${JSON.stringify(config)}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, line);
  return {
    async remove() {
      let current: string | null = null;
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // already gone
      }
      if (current === line) rmSync(path, { force: true });
    },
  };
}
