import { LIMITS, type ChunkEvent } from '@org/bedrock-stream-contracts';

/** Publishes one chunk's events; resolves when stored. */
export type PublishFn = (events: ChunkEvent[]) => Promise<void>;

/** Options of {@link Coalescer}. */
export interface CoalescerOptions {
  /** After the first text, flush at most once per window. 0 = publish every delta. */
  windowMs: number;
  /** Flush early (and split) at this many UTF-8 bytes of buffered text, reasoning and tool input. */
  maxBytes: number;
  publish: PublishFn;
  now?: () => number;
}

/** Splits `text` so the head has at most `maxBytes` UTF-8 bytes, on a code point boundary. */
export function splitUtf8(text: string, maxBytes: number): [string, string] {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return [text, ''];
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += ch.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** Events whose text streams: adjacent ones of the same kind (and tool call) are merged. */
type StreamedEvent = Extract<ChunkEvent, { type: 'text' | 'reasoning' | 'tool-call-delta' }>;

function isStreamed(event: ChunkEvent): event is StreamedEvent {
  return event.type === 'text' || event.type === 'reasoning' || event.type === 'tool-call-delta';
}

function streamedText(event: StreamedEvent): string {
  return event.type === 'tool-call-delta' ? event.inputDelta : event.text;
}

function withText(event: StreamedEvent, text: string): StreamedEvent {
  return event.type === 'tool-call-delta' ? { ...event, inputDelta: text } : { ...event, text };
}

function mergeable(a: ChunkEvent | undefined, b: StreamedEvent): a is StreamedEvent {
  if (!a || a.type !== b.type) return false;
  return (
    a.type !== 'tool-call-delta' || (b.type === 'tool-call-delta' && a.toolCallId === b.toolCallId)
  );
}

/** JSON bytes a chunk may hold besides its streamed text (room left for the envelope). */
const PAYLOAD_BUDGET = LIMITS.chunkPayloadBytes - 2048;

/**
 * Turns a fast stream of events into few publishes: the first content (text, reasoning or
 * a tool call) goes out at once (time to first token matters most), later events are
 * batched per window or byte bound, and at most one publish is in flight, so a slow
 * AppSync makes the next chunk bigger instead of building a queue. Adjacent text,
 * reasoning and tool-input deltas (of one call) merge into one event; streamed bytes per
 * chunk stay within `maxBytes` (split on code points), and a chunk stays within the
 * contract's event count and payload size. The publish rate is bounded by the window,
 * however fast the model is and whatever mix of events it sends.
 */
export class Coalescer {
  private buffer: ChunkEvent[] = [];
  private streamedBytes = 0;
  private terminal: ChunkEvent | null = null;
  private sentFirstContent = false;
  private lastFlushAt = -Infinity;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly loop: Promise<void>;
  private failed: unknown = null;
  private abandoned = false;
  private readonly now: () => number;

  constructor(private readonly options: CoalescerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.loop = this.run().catch((error: unknown) => {
      this.failed = error;
    });
  }

  /** Adds an event; a terminal event (end/error) closes the coalescer. */
  push(event: ChunkEvent): void {
    if (this.failed) throw this.failed;
    if (this.terminal) throw new Error('coalescer already received a terminal event');
    if (event.type === 'end' || event.type === 'error') this.terminal = event;
    else if (isStreamed(event)) {
      const text = streamedText(event);
      this.streamedBytes += Buffer.byteLength(text, 'utf8');
      const last = this.buffer.at(-1);
      if (mergeable(last, event))
        this.buffer[this.buffer.length - 1] = withText(last, streamedText(last) + text);
      else this.buffer.push(event);
    } else this.buffer.push(event);
    this.signal();
  }

  /** Resolves when everything pushed has been published (after a terminal event). */
  async done(): Promise<void> {
    await this.loop;
    if (this.failed) throw this.failed;
  }

  /** Stops without publishing what is buffered (the run failed and will be retried). */
  abandon(): void {
    this.abandoned = true;
    this.signal();
  }

  /** The publish error that stopped the coalescer, if any. */
  get error(): unknown {
    return this.failed;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private ready(): boolean {
    if (this.terminal || this.abandoned) return true;
    if (!this.buffer.length) return false;
    // `start` rides with the first content, so the first token costs one publish, not two.
    if (!this.sentFirstContent)
      return this.buffer.some((e) => e.type !== 'start' && e.type !== 'step-start');
    if (this.streamedBytes >= this.options.maxBytes) return true;
    return this.now() - this.lastFlushAt >= this.options.windowMs;
  }

  private async waitUntilReady(): Promise<void> {
    while (!this.ready()) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.buffer.length) {
          const wait = Math.max(0, this.options.windowMs - (this.now() - this.lastFlushAt));
          this.timer = setTimeout(() => this.signal(), wait);
        }
      });
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** The next chunk's events: within the streamed-byte, event-count and payload bounds. */
  private take(): ChunkEvent[] {
    const events: ChunkEvent[] = [];
    let streamed = 0;
    let payload = 0;
    // One slot stays free for the terminal event.
    while (this.buffer.length && events.length < LIMITS.chunkEvents - 1) {
      const next = this.buffer[0]!;
      if (isStreamed(next)) {
        const room = this.options.maxBytes - streamed;
        if (room <= 0) break;
        const [head, rest] = splitUtf8(streamedText(next), room);
        if (!head) break;
        const headEvent = withText(next, head);
        const size = Buffer.byteLength(JSON.stringify(headEvent), 'utf8');
        if (events.length && payload + size > PAYLOAD_BUDGET) break;
        events.push(headEvent);
        streamed += Buffer.byteLength(head, 'utf8');
        payload += size;
        this.streamedBytes -= Buffer.byteLength(head, 'utf8');
        if (rest) {
          this.buffer[0] = withText(next, rest);
          break;
        }
        this.buffer.shift();
      } else {
        const size = Buffer.byteLength(JSON.stringify(next), 'utf8');
        if (events.length && payload + size > PAYLOAD_BUDGET) break;
        events.push(next);
        payload += size;
        this.buffer.shift();
      }
    }
    if (events.some((e) => e.type !== 'start' && e.type !== 'step-start'))
      this.sentFirstContent = true;
    if (this.terminal && !this.buffer.length) events.push(this.terminal);
    return events;
  }

  private async run(): Promise<void> {
    for (;;) {
      await this.waitUntilReady();
      if (this.abandoned) return;
      const events = this.take();
      const finishing = events.some((e) => e.type === 'end' || e.type === 'error');
      this.lastFlushAt = this.now();
      if (events.length) await this.options.publish(events);
      if (finishing) return;
    }
  }
}
