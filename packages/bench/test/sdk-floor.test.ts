import { WORKER_BUILD_OPTIONS, buildWorkerBundle } from '@org/bedrock-stream-infra';
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleFloor } from '../src/cold-start.js';

/** The AWS SDK commands a bundle carries, by their modules' names. */
function commandsOf(metafile: Metafile): string[] {
  const inputs = Object.keys(Object.values(metafile.outputs)[0]!.inputs);
  return inputs.flatMap((path) => /\/commands\/(\w+Command)\.js$/.exec(path)?.[1] ?? []);
}

// The cold start target is a ratio to this floor: a floor missing a command the worker
// sends would be lighter than any worker that does the same job.
describe('the SDK-only floor of the cold start scenario', () => {
  it('carries every AWS SDK command the deployed worker bundle carries', () => {
    const worker = commandsOf(buildWorkerBundle().metafile);
    const floor = new Set(commandsOf(bundleFloor(WORKER_BUILD_OPTIONS).metafile));
    expect(worker).toContain('ConverseStreamCommand');
    expect(worker.filter((c) => !floor.has(c))).toEqual([]);
  });
});
