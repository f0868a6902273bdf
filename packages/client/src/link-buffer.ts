// The `Buffer` aws-appsync-subscription-link's handshake reads from the global scope
// (`Buffer.from(header).toString('base64')`), loaded only when a subscription is about to
// open (runtime.ts). Its own module so that the Vite plugin (`@org/bedrock-stream-client/vite`)
// can replace it: the plugin gives the link a module-local Buffer instead, and then nothing
// must be loaded or installed globally (see src/vite/shims/no-global-buffer.ts).

/** The `buffer` package's Buffer, to install as `globalThis.Buffer` where there is none. */
export async function loadGlobalBuffer(): Promise<unknown> {
  const buffer = await import('buffer');
  return buffer.Buffer;
}
