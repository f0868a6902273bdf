// The `bedrock-ask` process: Ctrl-C cancels the stream server-side, then exits 130.
import { runAsk } from './ask.js';

const controller = new AbortController();
let interrupted = 0;
process.on('SIGINT', () => {
  interrupted += 1;
  if (interrupted > 1) process.exit(130); // a second Ctrl-C does not wait for the cancel
  controller.abort();
});
const code = await runAsk(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  signal: controller.signal,
});
process.exit(code);
