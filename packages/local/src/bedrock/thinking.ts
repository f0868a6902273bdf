import { createHash, createHmac } from 'node:crypto';

/**
 * Anthropic's documented test string: a request whose prompt contains it gets a
 * `redacted_thinking` block back, so clients can test their handling of redacted reasoning.
 */
export const REDACTED_THINKING_TRIGGER =
  'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB';

/** The local shorthand for the same: `[[thinking:redacted]]`. */
export const REDACTED_THINKING_MARKER = '[[thinking:redacted]]';

// Fixed, so signatures stay valid across restarts of the local endpoint (they are not secrets).
const SIGNING_KEY = 'bedrock-stream-local/thinking-signature/v1';

/**
 * The signature of a reasoning text: opaque base64, like Bedrock's, and checkable when the
 * client sends the block back in a later turn (a tampered text or signature is rejected).
 */
export function signReasoning(text: string): string {
  const mac = createHmac('sha256', SIGNING_KEY).update(text).digest();
  const tail = createHash('sha512').update(mac).digest();
  return Buffer.concat([Buffer.from([0x12, 0x60]), mac, tail]).toString('base64');
}

/** Whether `signature` is the one {@link signReasoning} gives for `text`. */
export function verifyReasoningSignature(text: string, signature: string): boolean {
  return signReasoning(text) === signature;
}

/** Opaque redacted-reasoning data (base64) derived from the conversation seed. */
export function redactedReasoningData(seedText: string): string {
  const first = createHmac('sha256', SIGNING_KEY).update(`redacted:${seedText}`).digest();
  const second = createHash('sha512').update(first).digest();
  return Buffer.concat([first, second, first]).toString('base64');
}

/** Whether a prompt asks for redacted reasoning (Anthropic's trigger string or the marker). */
export function wantsRedactedReasoning(rawPrompt: string): boolean {
  return (
    rawPrompt.includes(REDACTED_THINKING_TRIGGER) || rawPrompt.includes(REDACTED_THINKING_MARKER)
  );
}
