// The `tools` and `guardrail` props: the bundled tools entry and the guardrail's env and IAM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BedrockStreamApi,
  buildWorkerBundle,
  toolsEntrySource,
  type BedrockStreamApiProps,
} from '../src/index.js';
import { list, render, resources, statementsByRole } from './template.js';

const env = { account: '123456789012', region: 'eu-west-1' };
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
// Whether the installed worker exports createHandler (issue 14's tool loop).
const WORKER_HAS_CREATE_HANDLER = 'createHandler' in (await import('@org/bedrock-stream-worker'));
const GUARDRAIL = { identifier: 'abc123xyz', version: '3', streamProcessingMode: 'async' } as const;

function synth(props: Partial<BedrockStreamApiProps>): Template {
  const stack = new Stack(new App(), 'S', { env });
  new BedrockStreamApi(stack, 'BedrockStream', { modelIds: [MODEL], ...props });
  return Template.fromStack(stack);
}

function workerEnvironment(template: Template): Record<string, unknown> {
  const worker = Object.entries(resources(template, 'AWS::Lambda::Function')).find(
    ([id]) => id.startsWith('BedrockStreamWorker') && !id.includes('Failure'),
  )!;
  return (worker[1].Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
}

describe('guardrail', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ guardrail: GUARDRAIL });
  });

  it('turns the guardrail on in the worker environment', () => {
    expect(workerEnvironment(template)).toMatchObject({
      GUARDRAIL_ID: 'abc123xyz',
      GUARDRAIL_VERSION: '3',
      GUARDRAIL_STREAM_MODE: 'async',
      GUARDRAIL_TRACE: 'false',
    });
  });

  it('lets only the worker apply exactly that guardrail', () => {
    const apply = statementsByRole(template).filter(({ statement }) =>
      list(statement.Action).some((a) => a.includes('Guardrail')),
    );
    expect(apply).toHaveLength(1);
    expect(apply[0]!.role).toMatch(/^BedrockStreamWorkerRole/);
    expect(list(apply[0]!.statement.Action)).toEqual(['bedrock:ApplyGuardrail']);
    expect(render(apply[0]!.statement.Resource)).toBe(
      'arn:${AWS::Partition}:bedrock:eu-west-1:123456789012:guardrail/abc123xyz',
    );
  });

  it('takes a guardrail ARN as it is', () => {
    const arn = 'arn:aws:bedrock:eu-west-1:123456789012:guardrail/def456';
    const t = synth({ guardrail: { identifier: arn, version: 'DRAFT', trace: true } });
    expect(workerEnvironment(t)).toMatchObject({ GUARDRAIL_ID: arn, GUARDRAIL_TRACE: 'true' });
    expect(workerEnvironment(t)).not.toHaveProperty('GUARDRAIL_STREAM_MODE');
    const apply = statementsByRole(t).filter(({ statement }) =>
      list(statement.Action).includes('bedrock:ApplyGuardrail'),
    );
    expect(apply.map(({ statement }) => render(statement.Resource))).toEqual([arn]);
  });

  it('without the prop: no guardrail env and no ApplyGuardrail', () => {
    const t = synth({});
    expect(Object.keys(workerEnvironment(t)).filter((k) => k.startsWith('GUARDRAIL'))).toEqual([]);
    expect(
      statementsByRole(t).filter(({ statement }) =>
        list(statement.Action).includes('bedrock:ApplyGuardrail'),
      ),
    ).toEqual([]);
  });

  it('rejects an invalid identifier or version', () => {
    expect(() => synth({ guardrail: { identifier: 'Not An Id', version: '1' } })).toThrow(
      /guardrail.identifier/,
    );
    expect(() => synth({ guardrail: { identifier: 'abc', version: 'latest' } })).toThrow(
      /guardrail.version/,
    );
  });
});

describe('tools entry bundled into the worker', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bedrock-stream-tools-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Bundles `tools` around the stub worker and imports the bundle. */
  async function load(tools: string): Promise<Record<string, () => Promise<unknown>>> {
    const { code } = buildWorkerBundle({
      toolsEntry: fixture(tools),
      workerEntry: fixture('worker-stub.mjs'),
    });
    const file = join(dir, `${tools}.index.mjs`);
    writeFileSync(file, code);
    return (await import(pathToFileURL(file).href)) as Record<string, () => Promise<unknown>>;
  }

  it("builds `handler` with createHandler and the entry's tools, keeps failureHandler", async () => {
    const bundle = await load('tools.mjs');
    await expect(bundle['handler']!()).resolves.toEqual({ toolNames: ['get_weather'] });
    await expect(bundle['failureHandler']!()).resolves.toEqual({ batchItemFailures: [] });
  });

  it('refuses a tools entry that exports no array', async () => {
    await expect(load('not-tools.mjs')).rejects.toThrow(/must export an array of tools/);
  });

  it('imports createHandler from the worker package, the tools from the entry', () => {
    const source = toolsEntrySource('/app/tools.ts', '/w/index.js');
    expect(source).toContain('import { createHandler } from "/w/index.js";');
    expect(source).toContain('import * as toolsModule from "/app/tools.ts";');
    expect(source).toContain('export const handler = createHandler({ tools });');
  });

  it('names a missing entry', () => {
    expect(() => synth({ tools: { entry: fixture('missing.mjs') } })).toThrow(/does not exist/);
  });

  // Runs once the worker package exports createHandler.
  it.runIf(WORKER_HAS_CREATE_HANDLER)('gives the worker a bundle with the tools', () => {
    const assets = (t: Template) =>
      Object.values(resources(t, 'AWS::Lambda::Function')).map((f) =>
        JSON.stringify(f.Properties['Code']),
      );
    const plain = assets(synth({}));
    const withTools = assets(synth({ tools: { entry: fixture('tools.mjs') } }));
    expect(withTools[0]).not.toBe(plain[0]);
    // The worker and the failure handler share the one bundle.
    expect(new Set(withTools).size).toBe(1);
  });
});
