import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { StreamErrorName } from './errors.js';
import type { Res } from './http.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

// Real Bedrock pads each event with a "p" field so sizes do not leak content; SDKs ignore it.
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
let padCounter = 0;
function pad(): string {
  padCounter = (padCounter + 7) % PAD.length;
  return PAD.slice(0, padCounter + 1);
}

/** Messages close to the ones real Bedrock sends with each in-stream exception. */
export const STREAM_ERROR_MESSAGES: Record<StreamErrorName, string> = {
  internalServerException: 'The server encountered an internal error.',
  modelStreamErrorException: 'The model stream encountered an error (injected fault).',
  validationException: 'The request is invalid.',
  throttlingException: 'Too many tokens, please wait before trying again.',
  serviceUnavailableException: 'Bedrock is unable to process your request.',
  modelTimeoutException: 'Model has timed out in processing the request.',
};

/**
 * Writes `application/vnd.amazon.eventstream` frames (binary, CRC-checked, as
 * `@smithy/eventstream-codec` encodes them) to a response, honouring backpressure. Writes after
 * the request was aborted or the response destroyed are dropped silently.
 */
export class FrameWriter {
  constructor(
    private readonly res: Res,
    private readonly signal: AbortSignal,
  ) {}

  private async write(frame: Uint8Array): Promise<void> {
    if (this.signal.aborted || this.res.destroyed) return;
    if (!this.res.write(frame)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.res.off('drain', done);
          this.res.off('close', done);
          resolve();
        };
        this.res.on('drain', done);
        this.res.on('close', done);
      });
    }
  }

  /** One `:message-type: event` frame with a JSON payload (plus Bedrock's padding field). */
  event(type: string, payload: Record<string, unknown>): Promise<void> {
    return this.write(
      codec.encode({
        headers: {
          ':event-type': { type: 'string', value: type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'event' },
        },
        body: fromUtf8(JSON.stringify({ ...payload, p: pad() })),
      }),
    );
  }

  /** InvokeModelWithResponseStream's `chunk` event: the model's own JSON event, base64 in `bytes`. */
  chunk(modelEvent: Record<string, unknown>): Promise<void> {
    return this.event('chunk', {
      bytes: Buffer.from(JSON.stringify(modelEvent)).toString('base64'),
    });
  }

  /** One `:message-type: exception` frame; the SDK throws it as the matching exception class. */
  exception(type: StreamErrorName, message: string = STREAM_ERROR_MESSAGES[type]): Promise<void> {
    const body: Record<string, unknown> = { message };
    if (type === 'modelStreamErrorException') {
      body.originalStatusCode = 500;
      body.originalMessage = message;
    }
    return this.write(
      codec.encode({
        headers: {
          ':exception-type': { type: 'string', value: type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'exception' },
        },
        body: fromUtf8(JSON.stringify(body)),
      }),
    );
  }
}
