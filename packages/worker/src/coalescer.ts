import type { ChunkEvent } from '@org/bedrock-stream-contracts';

/** Publishes one chunk's events; resolves when stored. */
export type PublishFn = (events: ChunkEvent[]) => Promise<void>;

/** Options of {@link Coalescer}. */
export interface CoalescerOptions {
  /** After the first text, flush at most once per window. 0 = publish every delta. */
  windowMs: number;
  /** Flush early (and split text) at this many UTF-8 bytes of buffered text. */
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

/**
 * Turns a fast stream of events into few publishes: the first text goes out at once
 * (time to first token matters most), later text is batched per window or byte bound,
 * and at most one publish is in flight, so a slow AppSync makes the next chunk bigger
 * instead of building a queue. The publish rate is bounded by the window, however fast
 * the model is.
 */
export class Coalescer {
  private text = '';
  private pending: ChunkEvent[] = [];
  private terminal: ChunkEvent | null = null;
  private sentFirstText = false;
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
    if (event.type === 'text') this.text += event.text;
    else if (event.type === 'end' || event.type === 'error') this.terminal = event;
    else this.pending.push(event);
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

  private textBytes(): number {
    return Buffer.byteLength(this.text, 'utf8');
  }

  private ready(): boolean {
    if (this.terminal || this.abandoned) return true;
    if (!this.text && !this.pending.length) return false;
    // `start` rides with the first text, so the first token costs one publish, not two.
    if (!this.sentFirstText) return this.text.length > 0;
    if (this.textBytes() >= this.options.maxBytes) return true;
    return this.now() - this.lastFlushAt >= this.options.windowMs;
  }

  private async waitUntilReady(): Promise<void> {
    while (!this.ready()) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.text || this.pending.length) {
          const wait = Math.max(0, this.options.windowMs - (this.now() - this.lastFlushAt));
          this.timer = setTimeout(() => this.signal(), wait);
        }
      });
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private take(): ChunkEvent[] {
    const events: ChunkEvent[] = this.pending.splice(0);
    if (this.text) {
      const [head, rest] = splitUtf8(this.text, this.options.maxBytes);
      this.text = rest;
      events.push({ type: 'text', text: head });
      this.sentFirstText = true;
    }
    if (this.terminal && !this.text) {
      events.push(this.terminal);
    }
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
