import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ContractError,
  LIMITS,
  parseStartStreamInput,
  safeParseStartStreamInput,
} from '../src/index.js';

const base = { streamId: randomUUID(), modelId: 'anthropic.claude-3-haiku-20240307-v1:0' };

function rejects(input: unknown, fragment: RegExp) {
  const result = safeParseStartStreamInput(input);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(ContractError);
  expect(result.error.code).toBe('INVALID_INPUT');
  expect(result.error.message).toMatch(fragment);
}

describe('startStream input', () => {
  it('accepts a prompt', () => {
    expect(parseStartStreamInput({ ...base, prompt: 'Hi' }).prompt).toBe('Hi');
  });
  it('accepts a conversation with inference config and the native API', () => {
    const input = {
      ...base,
      messages: [
        { role: 'USER', text: 'Hi' },
        { role: 'ASSISTANT', text: 'Hello!' },
        { role: 'USER', text: 'Tell me more\nplease\t.' },
      ],
      system: 'Be brief.',
      inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      api: 'INVOKE_MODEL',
    };
    expect(parseStartStreamInput(input)).toEqual(input);
  });
  it('accepts GraphQL nulls for absent optionals', () => {
    expect(() =>
      parseStartStreamInput({
        ...base,
        prompt: 'x',
        system: null,
        messages: null,
        inferenceConfig: null,
      }),
    ).not.toThrow();
  });
  it('needs exactly one of messages or prompt', () => {
    rejects(base, /exactly one of messages or prompt/);
    rejects({ ...base, prompt: 'a', messages: [{ role: 'USER', text: 'b' }] }, /exactly one/);
  });
  it('rejects empty messages and empty text', () => {
    rejects({ ...base, messages: [] }, /messages: messages is empty/);
    rejects({ ...base, messages: [{ role: 'USER', text: '' }] }, /messages\.0\.text/);
    rejects({ ...base, prompt: '' }, /prompt is empty/);
  });
  it('rejects a conversation ending with the assistant', () =>
    rejects(
      { ...base, messages: [{ role: 'ASSISTANT', text: 'x' }] },
      /last message must be a USER/,
    ));
  it('rejects an oversize prompt and oversize conversation', () => {
    rejects({ ...base, prompt: 'x'.repeat(LIMITS.inputChars + 1) }, /prompt exceeds/);
    const half = 'x'.repeat(LIMITS.inputChars / 2 + 1);
    rejects(
      {
        ...base,
        messages: [
          { role: 'USER', text: half },
          { role: 'ASSISTANT', text: half },
          { role: 'USER', text: 'y' },
        ],
      },
      /over the/,
    );
  });
  it('rejects bad model ids and stream ids', () => {
    rejects({ ...base, modelId: '', prompt: 'x' }, /modelId/);
    rejects({ ...base, modelId: 'a b', prompt: 'x' }, /modelId/);
    rejects({ ...base, streamId: 'stream-1', prompt: 'x' }, /streamId must be a lowercase UUID v4/);
  });
  it('rejects negative, zero, fractional and huge maxTokens', () => {
    for (const maxTokens of [-1, 0, 1.5, LIMITS.maxTokens + 1]) {
      rejects(
        { ...base, prompt: 'x', inferenceConfig: { maxTokens } },
        /inferenceConfig\.maxTokens/,
      );
    }
  });
  it('rejects wrong types and unknown fields', () => {
    rejects({ ...base, prompt: 42 }, /prompt/);
    rejects({ ...base, prompt: 'x', temperature: 0.5 }, /temperature/);
    rejects({ ...base, messages: [{ role: 'SYSTEM', text: 'x' }] }, /messages\.0\.role/);
    rejects('nope', /root/);
  });
  it('rejects control characters and invalid Unicode', () => {
    rejects({ ...base, prompt: 'a\u0000b' }, /control characters/);
    rejects({ ...base, prompt: 'a\u001bb' }, /control characters/);
    rejects({ ...base, prompt: 'a\ud800b' }, /invalid Unicode/);
  });
});
