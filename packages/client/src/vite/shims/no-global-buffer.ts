// Stands in for the client's src/link-buffer.ts in apps built with the bedrockStreamClient()
// Vite plugin. The plugin gives the subscription link a Buffer of its own (link-buffer.ts
// here), so the client must load and install none: a global Buffer would be the 8 KB `buffer`
// package for nothing, and a partial one (only what the link calls) would mislead any other
// library on the page that tests `typeof Buffer`. So no global Buffer at all.

/** Nothing to install: the subscription link brings its own Buffer in this build. */
export async function loadGlobalBuffer(): Promise<unknown> {
  return undefined;
}
