import { createHash } from 'node:crypto';
import { BedrockHttpError } from './errors.js';
import type { MediaInput } from './chat.js';

/** Bedrock's documented limits for image and document content blocks (per message). */
export const MEDIA_LIMITS = {
  imageFormats: ['png', 'jpeg', 'gif', 'webp'],
  maxImageBytes: 3.75 * 1024 * 1024,
  maxImagePixels: 8000,
  maxImagesPerMessage: 20,
  documentFormats: ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'],
  maxDocumentBytes: 4.5 * 1024 * 1024,
  maxDocumentsPerMessage: 5,
} as const;

const TEXT_DOCUMENTS = new Set(['csv', 'html', 'txt', 'md']);
// Alphanumerics, single whitespace, hyphens, parentheses and square brackets (Bedrock's rule).
const DOCUMENT_NAME = /^(?!.*\s\s)[A-Za-z0-9\s\-()[\]]{1,200}$/;

function invalid(message: string): BedrockHttpError {
  return new BedrockHttpError('ValidationException', message);
}

/** Width and height from the image header, or undefined when the bytes are not that format. */
export function imageSize(
  bytes: Buffer,
  format: string,
): { width: number; height: number } | undefined {
  if (format === 'png') {
    if (
      bytes.length < 24 ||
      bytes.readUInt32BE(0) !== 0x89504e47 ||
      bytes.toString('latin1', 12, 16) !== 'IHDR'
    )
      return undefined;
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (format === 'gif') {
    if (bytes.length < 10 || !bytes.toString('latin1', 0, 4).startsWith('GIF8')) return undefined;
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (format === 'webp') {
    if (
      bytes.length < 30 ||
      bytes.toString('latin1', 0, 4) !== 'RIFF' ||
      bytes.toString('latin1', 8, 12) !== 'WEBP'
    )
      return undefined;
    const chunk = bytes.toString('latin1', 12, 16);
    if (chunk === 'VP8X')
      return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
    if (chunk === 'VP8L') {
      const bits = bytes.readUInt32LE(21);
      return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
    }
    if (chunk === 'VP8 ')
      return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
    return undefined;
  }
  if (format === 'jpeg') {
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
    let at = 2;
    while (at + 9 < bytes.length) {
      if (bytes[at] !== 0xff) return undefined;
      const marker = bytes[at + 1] ?? 0;
      const length = bytes.readUInt16BE(at + 2);
      // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
      if (
        marker >= 0xc0 &&
        marker <= 0xcf &&
        marker !== 0xc4 &&
        marker !== 0xc8 &&
        marker !== 0xcc
      ) {
        return { width: bytes.readUInt16BE(at + 7), height: bytes.readUInt16BE(at + 5) };
      }
      at += 2 + length;
    }
    return undefined;
  }
  return undefined;
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

/** Checks an image block (format, decodable header, size, dimensions) and describes it. */
export function checkImage(format: string, bytes: Buffer, where: string): MediaInput {
  if (!(MEDIA_LIMITS.imageFormats as readonly string[]).includes(format)) {
    throw invalid(
      `1 validation error detected: Value '${format}' at '${where}.image.format' failed to satisfy constraint: Member must satisfy enum value set: [${MEDIA_LIMITS.imageFormats.join(', ')}]`,
    );
  }
  if (bytes.length > MEDIA_LIMITS.maxImageBytes) {
    throw invalid(
      `The image at ${where} is ${bytes.length} bytes; the maximum image size is 3.75 MB (${MEDIA_LIMITS.maxImageBytes} bytes).`,
    );
  }
  const size = imageSize(bytes, format);
  if (!size) throw invalid(`The image at ${where} is not a valid ${format} image.`);
  const max = MEDIA_LIMITS.maxImagePixels;
  if (size.width > max || size.height > max) {
    throw invalid(
      `The image at ${where} is ${size.width}x${size.height} px; images can be at most ${max}x${max} px.`,
    );
  }
  return {
    kind: 'image',
    format,
    byteLength: bytes.length,
    ...size,
    digest: digest(bytes),
    // Anthropic's estimate for images: width x height / 750.
    tokens: Math.max(1, Math.ceil((size.width * size.height) / 750)),
  };
}

/** Checks a document block (format, name, size) and describes it. */
export function checkDocument(
  format: string,
  name: string,
  bytes: Buffer,
  where: string,
): MediaInput {
  if (!(MEDIA_LIMITS.documentFormats as readonly string[]).includes(format)) {
    throw invalid(
      `1 validation error detected: Value '${format}' at '${where}.document.format' failed to satisfy constraint: Member must satisfy enum value set: [${MEDIA_LIMITS.documentFormats.join(', ')}]`,
    );
  }
  if (!DOCUMENT_NAME.test(name)) {
    throw invalid(
      `The document name '${name}' at ${where} is invalid: it can only contain alphanumeric characters, whitespace characters (no more than one in a row), hyphens, parentheses and square brackets, and must be 1 to 200 characters long.`,
    );
  }
  if (bytes.length > MEDIA_LIMITS.maxDocumentBytes) {
    throw invalid(
      `The document at ${where} is ${bytes.length} bytes; the maximum document size is 4.5 MB (${MEDIA_LIMITS.maxDocumentBytes} bytes).`,
    );
  }
  if (format === 'pdf' && !bytes.toString('latin1', 0, 5).startsWith('%PDF')) {
    throw invalid(`The document at ${where} is not a valid pdf document.`);
  }
  return {
    kind: 'document',
    format,
    name,
    byteLength: bytes.length,
    digest: digest(bytes),
    // Text formats ~4 characters a token; binary formats carry far less text per byte.
    tokens: Math.max(1, Math.ceil(bytes.length / (TEXT_DOCUMENTS.has(format) ? 4 : 50))),
  };
}

/** Per-message rules: counts, user role only, a document needs a text block beside it. */
export function checkMessageMedia(
  media: readonly MediaInput[],
  role: 'user' | 'assistant',
  hasText: boolean,
  where: string,
): void {
  if (media.length === 0) return;
  if (role !== 'user')
    throw invalid(`Images and documents are only allowed in user messages (${where}).`);
  const images = media.filter((m) => m.kind === 'image').length;
  const documents = media.length - images;
  if (images > MEDIA_LIMITS.maxImagesPerMessage) {
    throw invalid(
      `A message can include at most ${MEDIA_LIMITS.maxImagesPerMessage} images; ${where} has ${images}.`,
    );
  }
  if (documents > MEDIA_LIMITS.maxDocumentsPerMessage) {
    throw invalid(
      `A message can include at most ${MEDIA_LIMITS.maxDocumentsPerMessage} documents; ${where} has ${documents}.`,
    );
  }
  if (documents > 0 && !hasText) {
    throw invalid(`A message that includes a document must also include a text block (${where}).`);
  }
}

/** Decodes base64 the strict way (Bedrock rejects what is not base64). */
export function decodeBase64(data: string, where: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data.replace(/\s/g, ''))) {
    throw invalid(`The bytes at ${where} are not valid base64.`);
  }
  return Buffer.from(data, 'base64');
}
