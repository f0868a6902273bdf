import * as z from 'zod/mini';
import type { ChunkEvent, StopReason, Usage } from './events.js';
import { DOCUMENT_FORMATS, IMAGE_FORMATS } from './start-input.js';
import { once } from './lazy-schema.js';

/** Any JSON value (what a tool takes and returns). */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object (a tool call's input, a tool's input schema). */
export type JsonObject = { [key: string]: JsonValue };

/** Generated text. Consecutive text events make one part until another part starts. */
export interface TextPart {
  type: 'text';
  text: string;
}

/**
 * Reasoning (extended thinking) the model did before answering. Consecutive reasoning
 * events make one part until its signature arrives or another part starts.
 *
 * `signature` and `redacted` are not for display: they let an app continue the
 * conversation by sending the reasoning back (see `partsToMessages`). A `redacted` part is
 * reasoning the provider encrypted (base64); its `text` is ''.
 */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
  redacted?: string;
}

/**
 * Where a tool call is: its input streams (`streaming-input`), is complete
 * (`input-available`: the app runs client-side tools now), or a server-side tool the
 * worker ran returned (`output-available`) or failed (`output-error`).
 */
export type ToolCallState =
  'streaming-input' | 'input-available' | 'output-available' | 'output-error';

/** A tool call of the model, with its outcome when the worker ran the tool. */
export interface ToolCallPart {
  type: 'tool-call';
  toolCallId: string;
  toolName: string;
  state: ToolCallState;
  /** The input's JSON text as streamed so far (complete from `input-available` on). */
  inputText: string;
  /** The parsed input, from `input-available` on. */
  input?: JsonObject;
  /** What the server-side tool returned (on `output-error`, what it reported). */
  output?: JsonValue;
  /** On `output-error`: the error as text, for display. */
  errorText?: string;
}

/**
 * The start of one model call of the answer (a tool-use loop makes several). Once the
 * step ends it carries its stop reason and usage.
 */
export interface StepStartPart {
  type: 'step-start';
  step: number;
  stopReason?: StopReason;
  usage?: Usage | null;
}

/** One ordered part of a stream's answer (modelled on the Vercel AI SDK's UI message parts). */
export type StreamPart = TextPart | ReasoningPart | ToolCallPart | StepStartPart;

/** An image of a user message (base64 bytes, bounded by LIMITS.attachmentBase64Chars). */
export interface ImagePart {
  type: 'image';
  format: (typeof IMAGE_FORMATS)[number];
  bytes: string;
}

/** A document of a user message (base64 bytes). `name` follows Bedrock's rule. */
export interface DocumentPart {
  type: 'document';
  format: (typeof DOCUMENT_FORMATS)[number];
  name: string;
  bytes: string;
}

/** A part of a user message. */
export type UserPart = TextPart | ImagePart | DocumentPart;

/** A part of a stored conversation message: a user's or an answer's. */
export type MessagePart = UserPart | StreamPart;

// Stored parts are read tolerantly, like chunk payloads: a part type a newer worker
// writes is skipped by an older reader, unknown fields are dropped. The readers are built
// by the first read (a conversation's turn), not at import: a worker that runs plain
// streams never reads stored parts.
function partReaders() {
  const JsonValueSchema: z.ZodMiniType<JsonValue> = z.lazy(() =>
    z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(JsonValueSchema),
      z.record(z.string(), JsonValueSchema),
    ]),
  );
  const JsonObjectSchema = z.record(z.string(), JsonValueSchema);

  return {
    text: z.object({ type: z.literal('text'), text: z.string() }),
    reasoning: z.object({
      type: z.literal('reasoning'),
      text: z.string(),
      signature: z.optional(z.string()),
      redacted: z.optional(z.string()),
    }),
    'tool-call': z.object({
      type: z.literal('tool-call'),
      toolCallId: z.string(),
      toolName: z.string(),
      state: z.enum(['streaming-input', 'input-available', 'output-available', 'output-error']),
      inputText: z.string(),
      input: z.optional(JsonObjectSchema),
      output: z.optional(JsonValueSchema),
      errorText: z.optional(z.string()),
    }),
    'step-start': z.object({
      type: z.literal('step-start'),
      step: z.int(),
      stopReason: z.optional(z.string()),
      usage: z.optional(z.nullable(z.record(z.string(), z.number()))),
    }),
    image: z.object({ type: z.literal('image'), format: z.enum(IMAGE_FORMATS), bytes: z.string() }),
    document: z.object({
      type: z.literal('document'),
      format: z.enum(DOCUMENT_FORMATS),
      name: z.string(),
      bytes: z.string(),
    }),
  } as const;
}
const partReaderSchemas = once(partReaders);

/** Result of {@link parseMessageParts}. */
export type ParsedMessageParts =
  { ok: true; parts: MessagePart[]; skipped: string[] } | { ok: false; error: string };

/**
 * Reads a stored message's parts (`ConversationMessage.parts`, JSON text or parsed):
 * known parts are checked, unknown part types are skipped and listed in `skipped`.
 */
export function parseMessageParts(value: unknown): ParsedMessageParts {
  let raw = value;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw) as unknown;
    } catch {
      return { ok: false, error: 'parts is not valid JSON' };
    }
  }
  if (!Array.isArray(raw)) return { ok: false, error: 'parts is not an array' };
  const parts: MessagePart[] = [];
  const skipped: string[] = [];
  const readers = partReaderSchemas();
  for (const [i, item] of raw.entries()) {
    const type = (item as { type?: unknown } | null)?.type;
    const reader =
      typeof type === 'string' && Object.hasOwn(readers, type)
        ? readers[type as keyof typeof readers]
        : undefined;
    if (!reader) {
      skipped.push(typeof type === 'string' ? type : `#${i}`);
      continue;
    }
    const parsed = reader.safeParse(item);
    if (!parsed.success) {
      return {
        ok: false,
        error: `parts[${i}] (${String(type)}): ${parsed.error.issues[0]?.message}`,
      };
    }
    parts.push(parsed.data as MessagePart);
  }
  return { ok: true, parts, skipped };
}

/** A part that changed: write `part` at `index` (`index` equal to the length appends). */
export interface PartChange {
  index: number;
  part: StreamPart;
}

/**
 * Folds stream events into ordered parts. Every change replaces the changed part with a
 * new object and `parts` with a new array (copy on write), so an unchanged part keeps its
 * identity and a UI re-renders only what changed. Events of one attempt must come in
 * stream order (the assembler's job); `reset` starts over for a newer attempt.
 */
export class PartsBuilder {
  private _parts: readonly StreamPart[] = [];
  private toolCallIndex = new Map<string, number>();

  /** The parts so far: the same array until something changes. */
  get parts(): readonly StreamPart[] {
    return this._parts;
  }

  reset(): void {
    this._parts = [];
    this.toolCallIndex.clear();
  }

  /** Applies one event; returns the part it changed, or null (events without parts). */
  apply(event: ChunkEvent): PartChange | null {
    const last = this._parts[this._parts.length - 1];
    switch (event.type) {
      case 'text':
        return last?.type === 'text'
          ? this.set(this._parts.length - 1, { ...last, text: last.text + event.text })
          : this.add({ type: 'text', text: event.text });
      case 'reasoning':
        return isOpenReasoning(last)
          ? this.set(this._parts.length - 1, { ...last, text: last.text + event.text })
          : this.add({ type: 'reasoning', text: event.text });
      case 'reasoning-signature':
        // The signature closes its reasoning block (Bedrock sends it last in the block).
        return isOpenReasoning(last)
          ? this.set(this._parts.length - 1, { ...last, signature: event.signature })
          : this.add({ type: 'reasoning', text: '', signature: event.signature });
      case 'reasoning-redacted':
        // Each redacted event is one redacted block: sent back as one reasoning block.
        return this.add({ type: 'reasoning', text: '', redacted: event.data });
      case 'tool-call-start':
        return this.updateToolCall(event.toolCallId, event.toolName, (p) => p);
      case 'tool-call-delta':
        return this.updateToolCall(event.toolCallId, undefined, (p) => ({
          ...p,
          inputText: p.inputText + event.inputDelta,
        }));
      case 'tool-call':
        return this.updateToolCall(event.toolCallId, event.toolName, (p) => ({
          ...p,
          toolName: event.toolName,
          input: event.input,
          inputText: p.inputText === '' ? JSON.stringify(event.input) : p.inputText,
          state: hasOutput(p) ? p.state : 'input-available',
        }));
      case 'tool-result': {
        const { output, isError } = event;
        return this.updateToolCall(event.toolCallId, event.toolName, (p) => {
          const next: ToolCallPart = {
            ...p,
            state: isError ? 'output-error' : 'output-available',
            output,
          };
          if (isError)
            next.errorText = typeof output === 'string' ? output : JSON.stringify(output);
          else delete next.errorText;
          return next;
        });
      }
      case 'step-start':
        return this.add({ type: 'step-start', step: event.step });
      case 'step-end': {
        for (let i = this._parts.length - 1; i >= 0; i--) {
          const p = this._parts[i]!;
          if (p.type === 'step-start' && p.step === event.step) {
            return this.set(i, { ...p, stopReason: event.stopReason, usage: event.usage });
          }
        }
        return null; // a step that never started (in this attempt) has no part to end
      }
      default:
        return null; // start, usage, end, error: stream state, not parts
    }
  }

  /**
   * Changes the tool call `toolCallId`, starting its part first when it has none (a call
   * whose start event is missing still shows; its name comes with a later event).
   */
  private updateToolCall(
    toolCallId: string,
    toolName: string | undefined,
    change: (part: ToolCallPart) => ToolCallPart,
  ): PartChange | null {
    const index = this.toolCallIndex.get(toolCallId);
    const current = index === undefined ? undefined : this._parts[index];
    if (index === undefined || current?.type !== 'tool-call') {
      this.toolCallIndex.set(toolCallId, this._parts.length);
      return this.add(
        change({
          type: 'tool-call',
          toolCallId,
          toolName: toolName ?? '',
          state: 'streaming-input',
          inputText: '',
        }),
      );
    }
    const next = change(current);
    return next === current ? null : this.set(index, next);
  }

  private add(part: StreamPart): PartChange {
    this._parts = [...this._parts, part];
    return { index: this._parts.length - 1, part };
  }

  private set(index: number, part: StreamPart): PartChange {
    const parts = [...this._parts];
    parts[index] = part;
    this._parts = parts;
    return { index, part };
  }
}

/** A reasoning part more reasoning text (or its signature) still belongs to. */
function isOpenReasoning(part: StreamPart | undefined): part is ReasoningPart {
  return part?.type === 'reasoning' && part.signature === undefined && part.redacted === undefined;
}

function hasOutput(part: ToolCallPart): boolean {
  return part.state === 'output-available' || part.state === 'output-error';
}
