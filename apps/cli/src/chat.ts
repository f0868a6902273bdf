// `bedrock-ask --chat`: an interactive multi-turn session in a conversation kept on the
// server. It drives the client's framework-free Chat and prints the answer's parts as they
// stream (reasoning dimmed, tool calls and their results on their own lines). Ctrl-C stops
// the answer being written, not the session; at the prompt it ends the session.
import { createInterface } from 'node:readline';
import {
  Chat,
  type ChatMessage,
  type MessagePart,
  type StreamClient,
} from '@org/bedrock-stream-client';

/** What the chat session needs from its surroundings (the process in main.ts; pipes in tests). */
export interface ChatIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where the user's lines come from. */
  stdin: NodeJS.ReadableStream;
  /** Registers what Ctrl-C does; returns the function that removes it. */
  onInterrupt?: (listener: () => void) => () => void;
  /** Dim reasoning with ANSI escapes. */
  color: boolean;
}

/** How the session starts. */
export interface ChatSessionOptions {
  modelId: string;
  system?: string;
  /** Continue this conversation instead of starting one. */
  conversationId?: string;
  /** Sent as the first message. */
  firstMessage?: string;
  options?: { inferenceConfig?: { maxTokens: number }; thinking?: { budgetTokens: number } };
}

export const CHAT_HELP = `commands: /exit (or Ctrl-D) ends the session, /help shows this.
Ctrl-C stops the answer being written; at the prompt it ends the session.`;

const PROMPT = 'you> ';

/**
 * Prints one answer's parts as they grow: the new end of a text or reasoning part, a tool
 * call once its input is complete, its result once it has one.
 */
class AnswerPrinter {
  private messageId: string | null = null;
  private printed: { type: string; length: number; call: boolean; result: boolean }[] = [];
  private lastType: string | null = null;

  constructor(
    private readonly out: (text: string) => void,
    private readonly color: boolean,
  ) {}

  print(message: ChatMessage): void {
    if (message.id !== this.messageId || message.parts.length < this.printed.length) {
      if (this.messageId === message.id) this.out('\n[the model retried; the answer restarts]\n');
      this.messageId = message.id;
      this.printed = [];
      this.lastType = null;
    }
    message.parts.forEach((part, i) => this.part(part, i));
  }

  /** Ends the answer's last line. */
  end(): void {
    this.closeDim();
    if (this.lastType !== null && this.lastType !== 'line') this.out('\n');
    this.lastType = null;
  }

  private part(part: MessagePart, i: number): void {
    const seen = (this.printed[i] ??= { type: part.type, length: 0, call: false, result: false });
    switch (part.type) {
      case 'text':
      case 'reasoning': {
        const delta = part.text.slice(seen.length);
        seen.length = part.text.length;
        if (!delta) return;
        this.switchTo(part.type);
        this.out(delta);
        return;
      }
      case 'tool-call': {
        if (!seen.call && part.state !== 'streaming-input') {
          seen.call = true;
          this.line(`[tool ${part.toolName} ${part.inputText || '{}'}]`);
        }
        if (!seen.result && (part.state === 'output-available' || part.state === 'output-error')) {
          seen.result = true;
          this.line(
            part.state === 'output-error'
              ? `[tool ${part.toolName} failed: ${part.errorText ?? ''}]`
              : `[tool ${part.toolName} -> ${JSON.stringify(part.output)}]`,
          );
        }
        return;
      }
      default:
        return; // step starts, and user parts (never in an answer)
    }
  }

  private switchTo(type: 'text' | 'reasoning'): void {
    if (this.lastType === type) return;
    this.closeDim();
    if (this.lastType !== null && this.lastType !== 'line') this.out('\n');
    if (type === 'reasoning' && this.color) this.out('\x1b[2m');
    this.lastType = type;
  }

  private line(text: string): void {
    this.closeDim();
    if (this.lastType !== null && this.lastType !== 'line') this.out('\n');
    this.out(`${text}\n`);
    this.lastType = 'line';
  }

  private closeDim(): void {
    if (this.lastType === 'reasoning' && this.color) this.out('\x1b[22m');
  }
}

function textOf(message: ChatMessage): string {
  return message.parts
    .map((p) =>
      p.type === 'text'
        ? p.text
        : p.type === 'image'
          ? '[image]'
          : p.type === 'document'
            ? `[document ${p.name}]`
            : '',
    )
    .join('');
}

/**
 * Runs the interactive session until /exit, end of input or Ctrl-C at the prompt.
 * Returns the exit code: 0, or 1 when the conversation cannot be opened.
 */
export async function runChat(
  client: StreamClient,
  session: ChatSessionOptions,
  io: ChatIo,
): Promise<number> {
  let conversationId = session.conversationId;
  if (!conversationId) {
    try {
      const created = await client.conversations.create({
        modelId: session.modelId,
        ...(session.system ? { system: session.system } : {}),
      });
      conversationId = created.conversationId;
    } catch (error) {
      io.stderr(`bedrock-ask: cannot start a conversation: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const chat = new Chat({
    client,
    conversationId,
    ...(session.options ? { options: session.options } : {}),
  });
  const printer = new AnswerPrinter(io.stdout, io.color);
  // The position of the answer being printed: a joined one (after the history is printed),
  // then each new turn's. Nothing else is printed (a turn rolled back shows the answer
  // before it again, which was printed already).
  let answerIndex = -1;
  const show = () => {
    const answer = chat.messages[answerIndex];
    if (answer?.role === 'assistant' && chat.messages.length === answerIndex + 1)
      printer.print(answer);
  };
  chat.subscribe(show);

  await chat.load();
  if (chat.status === 'error') {
    io.stderr(`bedrock-ask: ${chat.error?.message ?? 'cannot load the conversation'}\n`);
    chat.dispose();
    return 1;
  }
  io.stderr(
    `conversation ${conversationId} (continue it with --conversation ${conversationId}); /help for commands\n`,
  );
  // The history so far; an answer still being written goes on below.
  const history = chat.messages.slice(0, chat.status === 'ready' ? undefined : -1);
  for (const m of history) io.stdout(`${m.role === 'user' ? PROMPT : ''}${textOf(m)}\n`);
  if (chat.status !== 'ready') {
    answerIndex = chat.messages.length - 1;
    show();
  }

  const rl = createInterface({ input: io.stdin, terminal: false });
  let ended = false;
  let stopping = false;
  const answering = () => chat.status === 'submitted' || chat.status === 'streaming';
  const interrupt = () => {
    if (answering()) {
      if (stopping) return;
      stopping = true;
      void chat.stop();
      return;
    }
    ended = true;
    rl.close();
  };
  const offInterrupt = io.onInterrupt?.(interrupt);

  /** Waits for the answer being written (joined or sent) to end, then reports how it ended. */
  const settle = async (): Promise<void> => {
    if (answering()) {
      await new Promise<void>((resolve) => {
        const off = chat.subscribe(() => {
          if (!answering()) {
            off();
            resolve();
          }
        });
      });
    }
    printer.end();
    const last = chat.messages.at(-1);
    if (stopping || last?.status === 'STOPPED') io.stderr('[stopped]\n');
    else if (chat.status === 'error')
      io.stderr(`bedrock-ask: ${chat.error?.message ?? 'the answer failed'}\n`);
    stopping = false;
  };

  await settle();
  const lines = rl[Symbol.asyncIterator]();
  let pending = session.firstMessage?.trim() || null;
  try {
    while (!ended) {
      let line = pending;
      pending = null;
      if (line === null) {
        io.stdout(PROMPT);
        const next = await lines.next();
        if (next.done) {
          io.stdout('\n');
          break;
        }
        line = next.value.trim();
      }
      if (line === '') continue;
      if (line === '/exit' || line === '/quit') break;
      if (line === '/help') {
        io.stdout(`${CHAT_HELP}\n`);
        continue;
      }
      if (line.startsWith('/')) {
        io.stderr(`bedrock-ask: unknown command ${line.split(/\s/)[0]}; ${CHAT_HELP}\n`);
        continue;
      }
      answerIndex = chat.messages.length + 1;
      const sent = chat.sendMessage(line).catch((error: unknown) => {
        io.stderr(`bedrock-ask: ${(error as Error).message}\n`);
      });
      await settle();
      await sent;
    }
  } finally {
    offInterrupt?.();
    rl.close();
    chat.dispose();
  }
  return 0;
}
