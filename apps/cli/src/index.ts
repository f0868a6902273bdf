/** The `bedrock-ask` terminal client as a library: `runAsk(argv, io)`. */
export { runAsk, EXIT, USAGE } from './ask.js';
export type { AskIo } from './ask.js';
export { runChat, CHAT_HELP } from './chat.js';
export type { ChatIo, ChatSessionOptions } from './chat.js';
