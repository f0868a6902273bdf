// The `bedrock-ask` process: Ctrl-C cancels the stream server-side, then exits 130. In
// --chat the session decides (it stops the answer, or ends at the prompt).
import { runAsk } from './ask.js';

const controller = new AbortController();
const chatInterrupts = new Set<() => void>();
let interrupted = 0;
process.on('SIGINT', () => {
  if (chatInterrupts.size > 0) {
    for (const listener of [...chatInterrupts]) listener();
    return;
  }
  interrupted += 1;
  if (interrupted > 1) process.exit(130); // a second Ctrl-C does not wait for the cancel
  controller.abort();
});
const code = await runAsk(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  signal: controller.signal,
  stdin: process.stdin,
  onInterrupt: (listener) => {
    chatInterrupts.add(listener);
    return () => chatInterrupts.delete(listener);
  },
  color:
    process.env['FORCE_COLOR'] === '1' ||
    (process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined),
});
process.exit(code);
