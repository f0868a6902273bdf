/**
 * BOUNDARY STUB for the React hook tests: an in-memory implementation of the core's
 * StreamHandle interface, driven step by step by the test. The hooks only depend on that
 * interface; the real core (Apollo + AppSync links + the assembler) is exercised by
 * assembler.test.ts and the end-to-end tests against the local stack.
 */
import type { Usage } from '@org/bedrock-stream-contracts';
import { StreamClientError } from '../src/errors.js';
import type { StreamPart } from '../src/parts.js';
import type { StreamClientLike } from '../src/react/index.js';
import type {
  StreamHandle,
  StreamInput,
  StreamMetrics,
  StreamOptions,
  StreamResult,
  StreamStatus,
  StreamUpdate,
} from '../src/stream-types.js';
import { emptyMetrics, validateStreamInput } from '../src/stream.js';

const METRICS: StreamMetrics = emptyMetrics();

export class FakeHandle implements StreamHandle {
  status: StreamStatus = 'submitted';
  text = '';
  parts: readonly StreamPart[] = [];
  usage: Usage | null = null;
  metrics = METRICS;
  stopReason: StreamResult['stopReason'] = null;
  error: StreamClientError | null = null;
  readonly done: Promise<StreamResult>;
  cancelCalls = 0;
  detachCalls = 0;
  private resolve!: (r: StreamResult) => void;
  private listeners = new Set<(u: StreamUpdate) => void>();
  private log: StreamUpdate[] = [];

  constructor(
    readonly streamId: string,
    readonly input: StreamInput,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private emit(u: StreamUpdate) {
    this.log.push(u);
    for (const l of [...this.listeners]) l(u);
  }
  private setStatus(status: StreamStatus) {
    if (this.status === status) return;
    this.status = status;
    this.emit({ type: 'status', status });
  }

  /** The worker's first chunk arrived. */
  begin() {
    this.setStatus('streaming');
    this.emit({ type: 'start', attempt: 1, modelId: 'fake' });
  }
  pushText(delta: string) {
    this.setStatus('streaming');
    this.text += delta;
    this.emit({ type: 'text', text: this.text, delta, attempt: 1, seq: 0 });
    const last = this.parts[this.parts.length - 1];
    if (last?.type === 'text')
      this.setPart(this.parts.length - 1, { ...last, text: last.text + delta });
    else this.setPart(this.parts.length, { type: 'text', text: delta });
  }
  /** Adds or replaces a part (copy on write, as the core does). */
  setPart(index: number, part: StreamPart) {
    this.setStatus('streaming');
    const parts = [...this.parts];
    parts[index] = part;
    this.parts = parts;
    this.emit({ type: 'part', index, part, attempt: 1, seq: 0 });
  }
  end(status: 'done' | 'cancelled' = 'done') {
    this.usage = { inputTokens: 1, outputTokens: 2, totalTokens: 3 };
    this.stopReason = status === 'cancelled' ? 'cancelled' : 'end_turn';
    this.emit({
      type: 'end',
      status,
      stopReason: this.stopReason,
      text: this.text,
      parts: this.parts,
      usage: this.usage,
      metrics: this.metrics,
    });
    this.setStatus(status);
    this.settle(status);
  }
  fail(error: StreamClientError) {
    this.error = error;
    this.emit({ type: 'error', error, fatal: true });
    this.setStatus('error');
    this.settle('error');
  }
  private settle(status: StreamResult['status']) {
    this.listeners.clear();
    this.resolve({
      streamId: this.streamId,
      status,
      text: this.text,
      parts: this.parts,
      stopReason: this.stopReason,
      usage: this.usage,
      metrics: this.metrics,
      error: this.error,
    });
  }

  async cancel() {
    this.cancelCalls++;
  }
  detach() {
    this.detachCalls++;
  }
  subscribe(listener: (u: StreamUpdate) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async *[Symbol.asyncIterator]() {
    yield* this.log;
  }
}

/** A client whose `stream()` validates input like the real one and returns FakeHandles. */
export class FakeClient implements StreamClientLike {
  handles: FakeHandle[] = [];
  private n = 0;
  stream(input: StreamInput, options: StreamOptions = {}): StreamHandle {
    const streamId =
      options.streamId ?? `00000000-0000-4000-8000-${String(++this.n).padStart(12, '0')}`;
    validateStreamInput({ ...input, streamId });
    const handle = new FakeHandle(streamId, input);
    this.handles.push(handle);
    return handle;
  }
  get last(): FakeHandle {
    const h = this.handles[this.handles.length - 1];
    if (!h) throw new Error('no stream started');
    return h;
  }
}
