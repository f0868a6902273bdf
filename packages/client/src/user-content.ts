// A user message as an app writes it (text, or text / image / document parts) turned into
// the content blocks sendMessage takes, validated before anything is sent: Bedrock's
// bounds on images and documents (type, count) and what fits one AppSync request and one
// DynamoDB item (contracts' LIMITS), with an error that says which part and why.
import {
  ContentBlockSchema,
  DOCUMENT_FORMATS,
  IMAGE_FORMATS,
  LIMITS,
  type ContentBlockInput,
  type DocumentPart,
  type ImagePart,
  type TextPart,
  type UserPart,
} from '@org/bedrock-stream-contracts';
import { StreamClientError } from './errors.js';

/** What a user sends: plain text, or ordered text / image / document parts. */
export type UserContent = string | readonly UserPart[];

/** An image or document part. */
export type AttachmentPart = ImagePart | DocumentPart;

/**
 * Extension point for attachments too large to travel inline. AppSync takes at most 1 MB
 * per request and the user message is stored in one DynamoDB item (400 KB), so all inline
 * attachments of a message together are bounded by `LIMITS.attachmentBase64Chars`; Bedrock
 * itself takes far larger files when they sit in S3 (Converse `s3Location`). An app that
 * needs them uploads the file (e.g. to a presigned S3 URL) and returns the part that
 * stands for it: today a smaller rendition (a downscaled image, an extract of the
 * document as a text part); an S3-referencing part once the schema carries one (see the
 * README, "Attachments").
 */
export interface AttachmentStore {
  /** Called for the largest attachments, one by one, until the rest fit inline. */
  offload(part: AttachmentPart): Promise<UserPart>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(message: string): StreamClientError {
  return new StreamClientError('INVALID_INPUT', message, false);
}

function kib(chars: number): string {
  return `${Math.round((chars * 3) / 4 / 1024)} KB`;
}

/**
 * The parts of `content` (a string becomes one text part), each checked on its own: known
 * type, non-empty text, an image or document format Bedrock accepts, base64 bytes.
 * @throws StreamClientError `INVALID_INPUT` naming the part.
 */
export function userParts(content: UserContent): UserPart[] {
  if (typeof content === 'string') {
    if (content.trim() === '') throw invalid('the message is empty');
    return [{ type: 'text', text: content }];
  }
  if (!Array.isArray(content) || content.length === 0) {
    throw invalid('the message has no parts: give text or text / image / document parts');
  }
  if (content.length > LIMITS.contentBlocksPerMessage) {
    throw invalid(
      `the message has ${content.length} parts, over ${LIMITS.contentBlocksPerMessage}`,
    );
  }
  return content.map((part, i) => checkPart(part, i));
}

function checkPart(part: UserPart, i: number): UserPart {
  const where = `part ${i + 1}`;
  switch ((part as { type?: unknown } | null)?.type) {
    case 'text':
      if (typeof (part as { text?: unknown }).text === 'string' && (part as TextPart).text.trim())
        return part;
      throw invalid(`${where}: text is empty`);
    case 'image': {
      const image = part as ImagePart;
      if (!(IMAGE_FORMATS as readonly string[]).includes(image.format)) {
        throw invalid(
          `${where}: image format '${String(image.format)}' is not one of ${IMAGE_FORMATS.join(', ')}`,
        );
      }
      checkBytes(where, image.bytes);
      return part;
    }
    case 'document': {
      const doc = part as DocumentPart;
      if (!(DOCUMENT_FORMATS as readonly string[]).includes(doc.format)) {
        throw invalid(
          `${where}: document format '${String(doc.format)}' is not one of ${DOCUMENT_FORMATS.join(', ')}`,
        );
      }
      checkBytes(where, doc.bytes);
      return part;
    }
    default:
      throw invalid(
        `${where}: a user message holds text, image and document parts only (got ${JSON.stringify((part as { type?: unknown } | null)?.type)})`,
      );
  }
}

function checkBytes(where: string, bytes: unknown): void {
  if (typeof bytes !== 'string' || bytes.length === 0) throw invalid(`${where}: bytes are empty`);
  if (!BASE64.test(bytes)) throw invalid(`${where}: bytes are not base64`);
}

/**
 * Checks the attachments of a message together: at most `LIMITS.images` images and
 * `LIMITS.documents` documents (Bedrock's bounds) and `LIMITS.attachmentBase64Chars`
 * base64 characters in all. With a `store`, the largest attachments are offloaded to it
 * until the rest fit.
 * @throws StreamClientError `INVALID_INPUT` saying what is over which bound.
 */
export async function fitAttachments(
  parts: readonly UserPart[],
  store?: AttachmentStore,
): Promise<UserPart[]> {
  const out = [...parts];
  const size = (p: UserPart) => (p.type === 'text' ? 0 : p.bytes.length);
  let total = out.reduce((n, p) => n + size(p), 0);
  if (store) {
    while (total > LIMITS.attachmentBase64Chars) {
      let largest = -1;
      for (let i = 0; i < out.length; i++) {
        if (out[i]!.type !== 'text' && (largest < 0 || size(out[i]!) > size(out[largest]!)))
          largest = i;
      }
      if (largest < 0) break;
      const replaced = checkPart(await store.offload(out[largest] as AttachmentPart), largest);
      if (size(replaced) >= size(out[largest]!)) {
        throw invalid(`attachment store returned a part no smaller than part ${largest + 1}`);
      }
      total += size(replaced) - size(out[largest]!);
      out[largest] = replaced;
    }
  }
  checkAttachmentBounds(out);
  return out;
}

/** The count and size bounds alone (synchronous). */
export function checkAttachmentBounds(parts: readonly UserPart[]): void {
  const images = parts.filter((p) => p.type === 'image').length;
  const documents = parts.filter((p) => p.type === 'document').length;
  const total = parts.reduce((n, p) => n + (p.type === 'text' ? 0 : p.bytes.length), 0);
  if (images > LIMITS.images) {
    throw invalid(`${images} images in one message, over Bedrock's ${LIMITS.images}`);
  }
  if (documents > LIMITS.documents) {
    throw invalid(`${documents} documents in one message, over Bedrock's ${LIMITS.documents}`);
  }
  if (total > LIMITS.attachmentBase64Chars) {
    throw invalid(
      `attachments total ${total} base64 characters (about ${kib(total)}), over the ${LIMITS.attachmentBase64Chars} (${kib(LIMITS.attachmentBase64Chars)}) a message can carry inline: make them smaller, or pass an AttachmentStore (larger files go through S3: see "Attachments" in the client README)`,
    );
  }
}

/**
 * The parts as sendMessage's content blocks, each checked with contracts'
 * ContentBlockSchema (control characters, document names, ...).
 * @throws StreamClientError `INVALID_INPUT` naming the part.
 */
export function toContentBlocks(parts: readonly UserPart[]): ContentBlockInput[] {
  return parts.map((part, i) => {
    const block: ContentBlockInput =
      part.type === 'text'
        ? { text: part.text }
        : part.type === 'image'
          ? { image: { format: part.format, bytes: part.bytes } }
          : { document: { format: part.format, name: part.name, bytes: part.bytes } };
    const checked = ContentBlockSchema.safeParse(block);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw invalid(`part ${i + 1}: ${path}${issue?.message ?? 'invalid'}`);
    }
    return block;
  });
}
