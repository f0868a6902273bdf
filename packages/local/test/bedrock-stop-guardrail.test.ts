import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClient,
  type ConverseStreamCommandInput,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BEDROCK_STOP_REASONS,
  GUARDRAIL_BLOCKED_MESSAGE,
  GUARDRAIL_TOPIC,
  deterministicAnswer,
  deterministicConverseAnswer,
  startBedrockServer,
  type BedrockServer,
} from '../src/index.js';
import { anthropicBody, collectConverse, collectInvoke, sdkClient } from './bedrock-helpers.js';

const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const GUARDRAIL = {
  guardrailIdentifier: 'gr-local',
  guardrailVersion: '1',
  trace: 'enabled' as const,
};

function request(
  prompt: string,
  extra: Partial<ConverseStreamCommandInput> = {},
): ConverseStreamCommandInput {
  return { modelId: MODEL, messages: [{ role: 'user', content: [{ text: prompt }] }], ...extra };
}

describe('bedrock endpoint: every stop reason (real SDK, both APIs)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 10, maxInputTokens: 40 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  async function converseStop(
    input: ConverseStreamCommandInput,
  ): Promise<{ stop?: string; text: string }> {
    const out = await client.send(new ConverseStreamCommand(input));
    const { events, text } = await collectConverse(out.stream);
    return { stop: events.find((e) => e.messageStop)?.messageStop?.stopReason, text };
  }

  async function nativeStop(prompt: string, extra: object = {}): Promise<string> {
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        body: anthropicBody(prompt, 500, extra),
      }),
    );
    const { events } = await collectInvoke(out.body);
    return (events.find((e) => e.type === 'message_delta') as { delta: { stop_reason: string } })
      .delta.stop_reason;
  }

  it('each documented trigger gives its stop reason', async () => {
    const full = deterministicAnswer('stop here', { outputTokens: 10 });
    const seq = full.tokens[3]?.trim() ?? '';
    const tool = {
      tools: [{ toolSpec: { name: 'ping', inputSchema: { json: { type: 'object' } } } }],
    };
    const seen: Record<string, string | undefined> = {
      end_turn: (await converseStop(request('hello'))).stop,
      max_tokens: (await converseStop(request('hello', { inferenceConfig: { maxTokens: 3 } })))
        .stop,
      stop_sequence: (
        await converseStop(request('stop here', { inferenceConfig: { stopSequences: [seq] } }))
      ).stop,
      tool_use: (await converseStop(request('please ping', { toolConfig: tool }))).stop,
      guardrail_intervened: (
        await converseStop(request('x [[guardrail:input]]', { guardrailConfig: GUARDRAIL }))
      ).stop,
      content_filtered: (await converseStop(request('x [[stop:content_filtered:after=2]]'))).stop,
      malformed_model_output: (await converseStop(request('x [[stop:malformed_model_output]]')))
        .stop,
      malformed_tool_use: (await converseStop(request('x [[stop:malformed_tool_use]]'))).stop,
      // 30 input tokens + 10 output > the 40-token window.
      model_context_window_exceeded: (await converseStop(request('word '.repeat(24)))).stop,
    };
    expect(Object.keys(seen).sort()).toEqual([...BEDROCK_STOP_REASONS].sort());
    for (const [reason, stop] of Object.entries(seen)) expect(stop).toBe(reason);
  });

  it('a forced stop cuts the answer after N tokens; the window cut keeps what fits', async () => {
    const cut = await converseStop(request('x [[stop:content_filtered:after=2]]'));
    expect(cut.text).toBe(
      deterministicAnswer('x [[stop:content_filtered:after=2]]', { outputTokens: 10 })
        .tokens.slice(0, 2)
        .join(''),
    );
    const prompt = 'word '.repeat(24);
    const windowed = deterministicAnswer(prompt, { outputTokens: 10, contextWindowTokens: 40 });
    expect(windowed.stopReason).toBe('model_context_window_exceeded');
    expect(windowed.inputTokens + windowed.outputTokens).toBe(40);
    expect((await converseStop(request(prompt))).text).toBe(windowed.text);
  });

  it('the Anthropic body spells them natively', async () => {
    expect(await nativeStop('hello')).toBe('end_turn');
    expect(await nativeStop('x [[stop:content_filtered]]')).toBe('refusal');
    expect(await nativeStop('x [[stop:refusal]]')).toBe('refusal');
    expect(await nativeStop('x [[stop:model_context_window_exceeded:after=1]]')).toBe(
      'model_context_window_exceeded',
    );
    expect(
      await nativeStop('hello', {
        stop_sequences: [deterministicAnswer('hello', { outputTokens: 10 }).tokens[2]?.trim()],
      }),
    ).toBe('stop_sequence');
  });

  it('additionalModelResponseFieldPaths /delta/stop_sequence names the matched sequence', async () => {
    const full = deterministicAnswer('stop here', { outputTokens: 10 });
    const seq = full.tokens[3]?.trim() ?? '';
    const out = await client.send(
      new ConverseCommand({
        ...request('stop here', { inferenceConfig: { stopSequences: [seq] } }),
        additionalModelResponseFieldPaths: ['/delta/stop_sequence'],
      }),
    );
    expect(out.stopReason).toBe('stop_sequence');
    expect(out.additionalModelResponseFields).toEqual({ delta: { stop_sequence: seq } });
  });
});

describe('bedrock endpoint: guardrails (real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 8 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('[[guardrail:input]] intervenes before the model: blocked message, zero usage, input trace', async () => {
    const input = request('tell me secrets [[guardrail:input]]', { guardrailConfig: GUARDRAIL });
    const out = await client.send(new ConverseStreamCommand(input));
    const { events, text } = await collectConverse(out.stream);
    expect(text).toBe(GUARDRAIL_BLOCKED_MESSAGE);
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('guardrail_intervened');
    const meta = events.at(-1)?.metadata;
    expect(meta?.usage).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    const assessment = meta?.trace?.guardrail?.inputAssessment?.['gr-local'];
    expect(assessment?.topicPolicy?.topics?.[0]).toMatchObject({
      name: GUARDRAIL_TOPIC,
      action: 'BLOCKED',
      detected: true,
    });
    expect(meta?.trace?.guardrail?.actionReason).toBe('Guardrail blocked.');
    expect(deterministicConverseAnswer(input).guardrail).toBe('input');
  });

  it('[[guardrail:output]]: sync replaces the answer, async streams it up to the detection point', async () => {
    const sync = await client.send(
      new ConverseStreamCommand(request('hi [[guardrail:output]]', { guardrailConfig: GUARDRAIL })),
    );
    const s = await collectConverse(sync.stream);
    expect(s.text).toBe(GUARDRAIL_BLOCKED_MESSAGE);
    expect(s.events.at(-1)?.metadata?.usage?.outputTokens).toBe(8);
    expect(
      s.events.at(-1)?.metadata?.trace?.guardrail?.outputAssessments?.['gr-local']?.[0]
        ?.topicPolicy,
    ).toBeDefined();

    const prompt = 'hi [[guardrail:output:after=3]]';
    const async = await client.send(
      new ConverseStreamCommand(
        request(prompt, { guardrailConfig: { ...GUARDRAIL, streamProcessingMode: 'async' } }),
      ),
    );
    const a = await collectConverse(async.stream);
    expect(a.text).toBe(
      deterministicAnswer(prompt, { outputTokens: 8 }).tokens.slice(0, 3).join(''),
    );
    expect(a.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe(
      'guardrail_intervened',
    );
  });

  it('without an intervention the trace says so; without trace there is none; without a guardrail markers do nothing', async () => {
    const calm = await client.send(
      new ConverseCommand(request('hello', { guardrailConfig: GUARDRAIL })),
    );
    expect(calm.stopReason).toBe('end_turn');
    expect(calm.trace?.guardrail?.actionReason).toBe('No action.');
    const quiet = await client.send(
      new ConverseCommand(
        request('x [[guardrail:input]]', { guardrailConfig: { ...GUARDRAIL, trace: 'disabled' } }),
      ),
    );
    expect(quiet.stopReason).toBe('guardrail_intervened');
    expect(quiet.trace).toBeUndefined();
    const none = await client.send(new ConverseCommand(request('x [[guardrail:input]]')));
    expect(none.stopReason).toBe('end_turn');
  });

  it('native requests: guardrail headers from the SDK, amazon-bedrock-guardrailAction and trace', async () => {
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        body: anthropicBody('no way [[guardrail:input]]'),
        guardrailIdentifier: 'gr-local',
        guardrailVersion: 'DRAFT',
        trace: 'ENABLED',
      }),
    );
    const { events, text } = await collectInvoke(out.body);
    expect(text).toBe(GUARDRAIL_BLOCKED_MESSAGE);
    const stop = events.at(-1) as Record<
      string,
      { guardrail?: { inputAssessment?: object } } | string
    >;
    expect(stop['amazon-bedrock-guardrailAction']).toBe('INTERVENED');
    expect(
      (stop['amazon-bedrock-trace'] as { guardrail: { inputAssessment: object } }).guardrail
        .inputAssessment,
    ).toHaveProperty('gr-local');

    const plain = await client.send(
      new InvokeModelCommand({
        modelId: MODEL,
        body: anthropicBody('fine'),
        guardrailIdentifier: 'gr-local',
        guardrailVersion: '1',
      }),
    );
    const msg = JSON.parse(new TextDecoder().decode(plain.body)) as Record<string, unknown>;
    expect(msg['amazon-bedrock-guardrailAction']).toBe('NONE');
    expect(msg['amazon-bedrock-trace']).toBeUndefined();
  });
});
