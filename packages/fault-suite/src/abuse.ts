// Tools of the bad-input and security cases: raw GraphQL requests (any headers, any
// bytes), SigV4 signing as the worker does it (and forging it), a snapshot of the whole
// table to prove a rejected request changed nothing, and a raw AppSync real-time socket
// that can send anything and sees every message and the close. Kept in one file (over 400
// lines): these are test tools sharing one request/snapshot vocabulary, not product code.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE, streamPartitionKey } from '@org/bedrock-stream-contracts';
import { signAppSyncRequest } from '@org/bedrock-stream-local';
import type { LocalStack } from '@org/bedrock-stream-stack';
import WebSocket from 'ws';
import type { GraphQLResponse } from './harness.js';
import { storedItem } from './ledger.js';

/** What requests need of a stack: its endpoints, keys and worker credentials. */
export type StackEndpoints = Pick<LocalStack, 'config' | 'workerCredentials'>;

export const START = `mutation StartStream($input: StartStreamInput!) {
  startStream(input: $input) { streamId status cancelRequested createdAt }
}`;
export const PUBLISH = `mutation PublishChunk($input: PublishChunkInput!) {
  publishChunk(input: $input) { streamId attempt seq payload createdAt }
}`;
export const CANCEL = `mutation CancelStream($streamId: ID!) {
  cancelStream(streamId: $streamId) { streamId status cancelRequested }
}`;
export const GET = `query GetStream($streamId: ID!) {
  getStream(streamId: $streamId) { streamId status attempt lastSeq cancelRequested stopReason error }
}`;
export const CHUNKS = `query StreamChunks($streamId: ID!) {
  streamChunks(streamId: $streamId, limit: 500) { items { attempt seq payload } nextToken }
}`;
export const SUBSCRIPTION = `subscription OnStreamChunk($streamId: ID!) {
  onStreamChunk(streamId: $streamId) { streamId attempt seq payload createdAt }
}`;

/** A text chunk payload as the worker publishes it. */
export function textPayload(text: string): string {
  return JSON.stringify({ v: 1, events: [{ type: 'text', text }] });
}

/** Headers of an API-key caller. */
export function apiKeyHeaders(stack: StackEndpoints): Record<string, string> {
  return { 'x-api-key': stack.config.apiKey };
}

/** Headers of a JWT (OIDC) caller. */
export function jwtHeaders(jwt: string): Record<string, string> {
  return { authorization: jwt };
}

/** POSTs `body` exactly as given (string or raw bytes) and reads the answer, JSON or not. */
export async function postRaw(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: res.status, errors: [{ message: text }] };
  }
}

/** SigV4 headers for a POST, as the worker signs (the local package's signer). */
export const sigv4Headers = signAppSyncRequest;

/** How to spoil an IAM request (nothing: signed correctly with the worker's keys). */
export interface IamAbuse {
  credentials?: { accessKeyId: string; secretAccessKey: string };
  signingDate?: Date;
  /** Signs for this region instead of the API's. */
  region?: string;
  /** Changes the body after it was signed. */
  tamper?: (body: string) => string;
}

/** One GraphQL operation signed with SigV4 (the worker's keys unless `abuse` says otherwise). */
export async function iamGql(
  stack: StackEndpoints,
  query: string,
  variables: Record<string, unknown>,
  abuse: IamAbuse = {},
): Promise<GraphQLResponse> {
  const body = JSON.stringify({ query, variables });
  const headers = await sigv4Headers(
    stack.config.graphqlUrl,
    body,
    abuse.credentials ?? stack.workerCredentials,
    abuse.region ?? stack.config.region,
    abuse.signingDate,
  );
  return postRaw(stack.config.graphqlUrl, headers, abuse.tamper ? abuse.tamper(body) : body);
}

/** The first error of a response, or a stand-in that fails every check when there is none. */
export function firstError(res: GraphQLResponse): { errorType: string; message: string } {
  const e = res.errors?.[0];
  return { errorType: e?.errorType ?? '(none)', message: e?.message ?? '(no error)' };
}

/**
 * Every item of the stack's table, canonical and sorted: two snapshots are equal exactly
 * when nothing stored changed in between (records, chunks, lastSeq, updatedAt, TTLs).
 */
export async function tableSnapshot(stack: LocalStack): Promise<string[]> {
  const ddb = new DynamoDBClient({
    region: stack.config.region,
    endpoint: stack.dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const items: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb.send(
        new ScanCommand({
          TableName: stack.config.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) items.push(canonical(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort();
  } finally {
    ddb.destroy();
  }
}

/** The stored record item of a stream straight from the table (owner included), or null. */
export function storedRecordItem(
  stack: LocalStack,
  streamId: string,
): Promise<Record<string, AttributeValue> | null> {
  return storedItem(stack, streamPartitionKey(streamId), TABLE.recordSortKey);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Base64url JSON, as the `header-` subprotocol carries it. */
export function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The real-time authorization header of an API-key caller. */
export function apiKeyAuthorization(stack: StackEndpoints, apiKey = stack.config.apiKey) {
  return {
    host: new URL(stack.config.graphqlUrl).host,
    'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
    'x-api-key': apiKey,
  };
}

/** The real-time authorization header of a JWT caller. */
export function jwtAuthorization(stack: StackEndpoints, jwt: string) {
  return { host: new URL(stack.config.graphqlUrl).host, Authorization: jwt };
}

/** A message of the real-time protocol. */
export type RealtimeMessage = Record<string, unknown> & {
  type?: string;
  id?: string;
  payload?: Record<string, unknown>;
};

/**
 * A raw AppSync real-time connection: sends anything (garbage, binary, huge frames),
 * records every message and how the socket closed.
 */
export class RawRealtime {
  readonly messages: RealtimeMessage[] = [];
  /** Frames that were not JSON (kept as text). */
  readonly unparsed: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();
  private closeInfo: { code: number; reason: string } | null = null;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      }),
    );
    socket.on('error', () => undefined);
    socket.on('message', (raw: Buffer) => {
      const text = raw.toString();
      try {
        this.messages.push(JSON.parse(text) as RealtimeMessage);
      } catch {
        this.unparsed.push(text);
      }
      this.wake();
    });
  }

  /**
   * Opens `/graphql/realtime` with the `graphql-ws` subprotocol plus `header-<base64url>`
   * (no header at all when `header` is null). Resolves once the socket is open.
   */
  static async open(
    stack: StackEndpoints,
    header: Record<string, string> | null,
  ): Promise<RawRealtime> {
    const protocols = header ? ['graphql-ws', `header-${b64url(header)}`] : ['graphql-ws'];
    const socket = new WebSocket(stack.config.realtimeUrl, protocols);
    const conn = new RawRealtime(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return conn;
  }

  /** Opens with API-key auth and completes `connection_init` -> `connection_ack`. */
  static async connect(
    stack: StackEndpoints,
    header: Record<string, string> = apiKeyAuthorization(stack),
  ): Promise<RawRealtime> {
    const conn = await RawRealtime.open(stack, header);
    conn.send({ type: 'connection_init' });
    await conn.waitFor((m) => m.type === 'connection_ack', 5_000, 'connection_ack');
    return conn;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** The close code and reason once closed. */
  get closeState(): { code: number; reason: string } | null {
    return this.closeInfo;
  }

  /** Sends an object as JSON text, a string as text, bytes as a binary frame. */
  send(message: unknown, options: { binary?: boolean } = {}): void {
    if (typeof message === 'string') this.socket.send(message, { binary: false });
    else if (message instanceof Uint8Array)
      this.socket.send(message, { binary: options.binary ?? true });
    else this.socket.send(JSON.stringify(message));
  }

  /** The first message (from the start of the connection) matching `match`. */
  async waitFor(
    match: (m: RealtimeMessage) => boolean,
    timeoutMs = 5_000,
    what = 'a message',
  ): Promise<RealtimeMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.closeInfo)
        throw new Error(`connection closed (${this.closeInfo.code}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next message of the connection, after the `count` already seen. */
  nextAfter(count: number, timeoutMs = 5_000): Promise<RealtimeMessage> {
    return this.waitFor((m) => this.messages.indexOf(m) >= count, timeoutMs, 'the next message');
  }

  /** Sends `start` for onStreamChunk(streamId); resolves with its start_ack or error. */
  async subscribe(
    id: string,
    streamId: string,
    authorization: Record<string, string> | undefined,
  ): Promise<RealtimeMessage> {
    const data = JSON.stringify({ query: SUBSCRIPTION, variables: { streamId } });
    this.send({
      id,
      type: 'start',
      payload: { data, extensions: authorization ? { authorization } : {} },
    });
    return this.waitFor(
      (m) => m.id === id && (m.type === 'start_ack' || m.type === 'error'),
      10_000,
      `the answer to start ${id}`,
    );
  }

  /** Chunks delivered to subscription `id`, in arrival order. */
  chunks(id: string): Array<{ attempt: number; seq: number; payload: string }> {
    return this.messages
      .filter((m) => m.type === 'data' && m.id === id)
      .map((m) => {
        const data = (m.payload as { data: Record<string, unknown> }).data;
        return data['onStreamChunk'] as { attempt: number; seq: number; payload: string };
      });
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
    this.waiters.clear();
  }
}

/** The error entries of a real-time `error` / `connection_error` message. */
export function realtimeErrors(
  message: RealtimeMessage,
): Array<{ errorType?: string; message?: string }> {
  return ((message.payload as { errors?: unknown } | undefined)?.errors ?? []) as Array<{
    errorType?: string;
    message?: string;
  }>;
}

/** A local stack running in a child process whose whole output is captured. */
export interface StackProcess extends StackEndpoints {
  /** JWTs the stack's OIDC issuer signed for `alice` and `mallory`. */
  jwts: { alice: string; mallory: string };
  /** Everything the process (and the worker processes it forks) wrote so far. */
  output(): string;
  /** Stops the stack and the process; resolves with the complete output. */
  stop(): Promise<string>;
}

// Runs in the child: starts the stack, hands its config over fd 3 (kept out of the
// captured stdout/stderr), stops when stdin ends. A file, not `node -e`: the invoker
// forks workers with the host's execArgv, which would carry `-e` along.
const stackHost = (stackModule: string) => `
import { createWriteStream } from 'node:fs';
import { startLocalStack } from ${JSON.stringify(stackModule)};
const stack = await startLocalStack(JSON.parse(process.env.FAULT_SUITE_STACK_OPTIONS));
const jwts = { alice: await stack.issueJwt('alice'), mallory: await stack.issueJwt('mallory') };
const control = createWriteStream('', { fd: 3 });
control.write(JSON.stringify({ config: stack.config, workerCredentials: stack.workerCredentials, jwts }) + '\\n');
process.stdin.on('end', async () => {
  await stack.stop();
  control.end(() => process.exit(0));
});
process.stdin.resume();
`;

/**
 * Starts `startLocalStack(options)` in a child node process and captures every byte it
 * and its worker processes write to stdout and stderr (workers inherit its stderr, which
 * an in-process spy on `process.stderr.write` would not see).
 */
export async function startStackProcess(options: Record<string, unknown>): Promise<StackProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'fault-suite-stack-'));
  const script = join(dir, 'host.mjs');
  const stackModule = pathToFileURL(
    createRequire(import.meta.url).resolve('@org/bedrock-stream-stack'),
  ).href;
  writeFileSync(script, stackHost(stackModule));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, FAULT_SUITE_STACK_OPTIONS: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => out.push(b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const control = child.stdio[3] as NodeJS.ReadableStream;
  const ready = await new Promise<string>((resolve, reject) => {
    let text = '';
    control.on('data', (b: Buffer) => {
      text += b.toString();
      const nl = text.indexOf('\n');
      if (nl !== -1) resolve(text.slice(0, nl));
    });
    void exited.then((code) =>
      reject(new Error(`stack process exited (${code}): ${Buffer.concat(out).toString()}`)),
    );
  });
  const { config, workerCredentials, jwts } = JSON.parse(ready) as {
    config: LocalStack['config'];
    workerCredentials: LocalStack['workerCredentials'];
    jwts: StackProcess['jwts'];
  };
  const output = () => Buffer.concat(out).toString('utf8');
  return {
    config,
    workerCredentials,
    jwts,
    output,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return output();
    },
  };
}
