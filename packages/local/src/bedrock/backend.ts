import { setTimeout as delay } from 'node:timers/promises';
import { planAnswer } from './answer.js';
import { BedrockHttpError } from './errors.js';
import {
  DEFAULT_OUTPUT_TOKENS,
  estimateInputTokens,
  type ChatRequest,
  type StopReason,
} from './model.js';
import { answerDeltas, isOutputToken, type ModelDelta } from './output.js';

/** How a generation ended. */
export interface GenerationResult {
  stopReason: StopReason;
  stopSequence?: string;
  inputTokens: number;
  outputTokens: number;
  /** Set when the request's guardrail intervened (on the input or the output). */
  guardrail?: 'input' | 'output';
}

/**
 * A started generation: known input token count and a stream of deltas. A plain string is a
 * text delta (what a text-only backend yields); {@link ModelDelta}s carry reasoning and tool use.
 */
export interface Generation {
  /** Input tokens as known when the stream starts (a backend may refine it in the result). */
  inputTokens: number;
  deltas: AsyncGenerator<string | ModelDelta, GenerationResult, void>;
}

/** Context of one model call. */
export interface GenerateContext {
  modelId: string;
  /** Aborted when the client goes away or the server closes; backends must stop promptly. */
  signal: AbortSignal;
  /** Input plus output beyond this stops with `model_context_window_exceeded`. */
  contextWindowTokens?: number;
}

/** Source of model output: the deterministic model, or a proxy to a real model server. */
export interface ModelBackend {
  /** Starts a generation. May throw {@link BedrockHttpError} before any output. */
  generate(req: ChatRequest, ctx: GenerateContext): Promise<Generation>;
}

/** Timing and length of the deterministic model. */
export interface DeterministicTiming {
  /** Delay before the first token (default 0). */
  timeToFirstTokenMs?: number;
  /** Tokens per second after the first (default 0 = as fast as possible). */
  tokensPerSecond?: number;
  /** Natural answer length (default {@link DEFAULT_OUTPUT_TOKENS}). */
  outputTokens?: number;
}

/** Resolves after `ms`, or at once when aborted (the caller checks `signal.aborted`). */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // AbortError: the caller sees signal.aborted and stops.
  }
}

/** The deterministic backend: output from {@link planAnswer}, output tokens paced by the timing options. */
export function deterministicBackend(timing: () => DeterministicTiming): ModelBackend {
  return {
    generate(req, ctx) {
      const t = timing();
      const answer = planAnswer(req, {
        modelId: ctx.modelId,
        outputTokens: t.outputTokens ?? DEFAULT_OUTPUT_TOKENS,
        contextWindowTokens: ctx.contextWindowTokens,
      });
      const interval = t.tokensPerSecond && t.tokensPerSecond > 0 ? 1000 / t.tokensPerSecond : 0;
      async function* deltas(): AsyncGenerator<ModelDelta, GenerationResult, void> {
        let sent = 0;
        for (const delta of answerDeltas(answer.content)) {
          // Block openers and signatures travel with their neighbours; tokens are paced.
          if (isOutputToken(delta)) {
            await sleep(sent === 0 ? (t.timeToFirstTokenMs ?? 0) : interval, ctx.signal);
            if (ctx.signal.aborted) break;
            sent++;
          }
          yield delta;
        }
        return {
          stopReason: answer.stopReason,
          stopSequence: answer.stopSequence,
          inputTokens: answer.inputTokens,
          // A generation cut short reports what it produced; a guardrail counts the model's output.
          outputTokens: answer.guardrail ? answer.outputTokens : sent,
          guardrail: answer.guardrail,
        };
      }
      return Promise.resolve({ inputTokens: answer.inputTokens, deltas: deltas() });
    },
  };
}

/** Options of the OpenAI-compatible proxy backend. */
export interface OpenAiProxyOptions {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  apiKey?: string;
  /** Upstream model name; a function maps Bedrock model ids; default: the Bedrock model id. */
  model?: string | ((bedrockModelId: string) => string);
}

interface OpenAiChunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function upstreamError(status: number, text: string): BedrockHttpError {
  if (status === 429) return new BedrockHttpError('ThrottlingException');
  if (status === 400 || status === 422) {
    return new BedrockHttpError(
      'ValidationException',
      `Upstream model rejected the request: ${text}`,
    );
  }
  return new BedrockHttpError('ModelErrorException', `Upstream model error: ${text}`, {
    originalStatusCode: status,
  });
}

/** Async iterator over the `data:` payloads of a server-sent-events body. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let idx: number;
    while ((idx = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffer.slice(0, idx);
      buffer = buffer.slice(idx).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data.length > 0) yield data;
    }
  }
}

/**
 * A backend that relays to an OpenAI-compatible `POST /chat/completions` with `stream: true`
 * (Ollama, llama.cpp server, vLLM), mapping `finish_reason` to Bedrock stop reasons.
 */
export function openAiProxyBackend(opts: OpenAiProxyOptions): ModelBackend {
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    async generate(req, ctx) {
      const model =
        typeof opts.model === 'function' ? opts.model(ctx.modelId) : (opts.model ?? ctx.modelId);
      const messages = [
        ...req.system.map((content) => ({ role: 'system', content })),
        ...req.messages.map((m) => ({ role: m.role, content: m.text })),
      ];
      let res: Response;
      try {
        res = await fetch(`${base}/chat/completions`, {
          method: 'POST',
          signal: ctx.signal,
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model,
            messages,
            stream: true,
            stream_options: { include_usage: true },
            ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
            ...(req.stopSequences?.length ? { stop: req.stopSequences } : {}),
          }),
        });
      } catch (err) {
        throw new BedrockHttpError(
          'ServiceUnavailableException',
          `Upstream model server unreachable: ${(err as Error).message}`,
        );
      }
      if (!res.ok || res.body === null) {
        throw upstreamError(res.status, await res.text().catch(() => ''));
      }
      const body = res.body;
      const estimated = estimateInputTokens(req);
      async function* deltas(): AsyncGenerator<string, GenerationResult, void> {
        let outputTokens = 0;
        let inputTokens = estimated;
        let usageOut: number | undefined;
        let finish: string | undefined;
        for await (const data of sseData(body)) {
          if (data.trim() === '[DONE]') break;
          let chunk: OpenAiChunk;
          try {
            chunk = JSON.parse(data) as OpenAiChunk;
          } catch {
            continue; // Keep-alive comments or junk lines are not fatal upstream.
          }
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content;
          if (typeof text === 'string' && text.length > 0) {
            outputTokens++;
            yield text;
          }
          if (choice?.finish_reason) finish = choice.finish_reason;
          if (chunk.usage) {
            inputTokens = chunk.usage.prompt_tokens ?? inputTokens;
            usageOut = chunk.usage.completion_tokens ?? usageOut;
          }
          if (ctx.signal.aborted) break;
        }
        // OpenAI does not say whether `stop` came from a stop sequence, so only `length` is mapped.
        const stopReason: StopReason = finish === 'length' ? 'max_tokens' : 'end_turn';
        return { stopReason, inputTokens, outputTokens: usageOut ?? outputTokens };
      }
      return { inputTokens: estimated, deltas: deltas() };
    },
  };
}
