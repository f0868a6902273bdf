// What the bedrockStreamClient() Vite plugin changes in aws-appsync-subscription-link's ES
// module (lib/index.mjs), as plain string edits with checks. The link's bundle carries a
// vendored paho-mqtt client (about half the file) for its legacy MQTT handshake, which runs
// only when createSubscriptionHandshakeLink is given a URL string; this client always gives
// it `{url, region, auth}` (the AppSync real-time protocol). And its handshake reads a global
// `Buffer`. Every edit looks for the exact text of the link versions it was written against;
// when that text is not there (a new link version), it throws rather than ship a link that
// breaks in the browser.

const PAHO_START = '// src/vendor/paho-mqtt.js';
const PAHO_END = '// src/subscription-handshake-link.ts';
const PAHO_DECLARATION = 'var require_paho_mqtt = __commonJS(';
const PAHO_USE = '__toESM(require_paho_mqtt())';
/** The link's one use of Buffer (its handshake header, base64 in the real-time URL). */
const BUFFER_USE = /\bBuffer\.from\([A-Za-z_$][\w$]*\)\.toString\("base64"\)/;

/** The message of the stub that stands for the MQTT client, should the legacy link ever run. */
export const LEGACY_MQTT_MESSAGE =
  'the legacy MQTT subscription link is not bundled by bedrockStreamClient(); ' +
  'pass {url, region, auth} to createSubscriptionHandshakeLink';

/** The link's source could not be trimmed: it is not the layout this plugin knows. */
export class UnknownLinkLayoutError extends Error {
  override readonly name = 'UnknownLinkLayoutError';
}

function unknownLayout(version: string, what: string): UnknownLinkLayoutError {
  return new UnknownLinkLayoutError(
    `bedrockStreamClient(): aws-appsync-subscription-link ${version} is not laid out as the ` +
      `versions this plugin trims (${what}). Upgrade @org/bedrock-stream-client, or pin ` +
      'aws-appsync-subscription-link to the version it depends on.',
  );
}

/**
 * The link's lib/index.mjs without the vendored paho-mqtt client: its CommonJS wrapper is
 * removed and the one place that instantiates it gets a stub whose `Client` throws
 * {@link LEGACY_MQTT_MESSAGE}.
 * @param version the link's version, named in the error.
 * @throws UnknownLinkLayoutError when the markers or the wrapper are not found.
 */
export function removePahoMqtt(code: string, version: string): string {
  const start = code.indexOf(PAHO_START);
  if (start < 0) throw unknownLayout(version, `no "${PAHO_START}" marker`);
  const end = code.indexOf(PAHO_END, start);
  if (end < 0) throw unknownLayout(version, `no "${PAHO_END}" marker after the paho-mqtt one`);
  const block = code.slice(start + PAHO_START.length, end);
  if (!block.trimStart().startsWith(PAHO_DECLARATION)) {
    throw unknownLayout(version, `the paho-mqtt block is not "${PAHO_DECLARATION}...});"`);
  }
  const rest =
    code.slice(0, start) + `${PAHO_START} (not bundled: bedrockStreamClient())\n` + code.slice(end);
  const uses = rest.split(PAHO_USE).length - 1;
  if (uses !== 1) throw unknownLayout(version, `"${PAHO_USE}" found ${uses} times, not once`);
  const stub = `{ Client: function PahoClientNotBundled() { throw new Error(${JSON.stringify(LEGACY_MQTT_MESSAGE)}); } }`;
  const trimmed = rest.replace(PAHO_USE, () => stub);
  if (trimmed.includes('require_paho_mqtt')) {
    throw unknownLayout(version, 'require_paho_mqtt is used beyond the one known place');
  }
  return trimmed;
}

/**
 * The link's source reading `Buffer` from `bufferModule` (a module-local import) instead of
 * the global. Only the one known use, `Buffer.from(text).toString("base64")`, is allowed.
 * @throws UnknownLinkLayoutError when the link uses Buffer in any other way.
 */
export function importLinkBuffer(code: string, version: string, bufferModule: string): string {
  const uses = [...code.matchAll(/\bBuffer\b/g)];
  if (uses.length === 0) return code;
  for (const use of uses) {
    const at = code.slice(use.index, use.index + 120);
    if (at.search(BUFFER_USE) !== 0) {
      throw unknownLayout(
        version,
        `it uses Buffer as "${at.split('\n')[0]}", not only as Buffer.from(text).toString("base64")`,
      );
    }
  }
  return `import { Buffer } from ${JSON.stringify(bufferModule)};\n${code}`;
}
