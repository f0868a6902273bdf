import {
  DOCUMENT_FORMATS,
  IMAGE_FORMATS,
  LIMITS,
  type DocumentPart,
  type ImagePart,
} from '@org/bedrock-stream-contracts';

/** A file the user attached to the message being written: its part and what the chip shows. */
export interface Attachment {
  /** Unique within the composer (the chip's key and its remove button's target). */
  id: string;
  /** The file's own name, as the user knows it. */
  fileName: string;
  part: ImagePart | DocumentPart;
}

type ImageFormat = (typeof IMAGE_FORMATS)[number];
type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];
type FileKind =
  { kind: 'image'; format: ImageFormat } | { kind: 'document'; format: DocumentFormat };

const IMAGE_BY_MIME: Record<string, ImageFormat> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/webp': 'WEBP',
};
const IMAGE_BY_EXTENSION: Record<string, ImageFormat> = {
  png: 'PNG',
  jpg: 'JPEG',
  jpeg: 'JPEG',
  gif: 'GIF',
  webp: 'WEBP',
};
const DOCUMENT_BY_EXTENSION: Record<string, DocumentFormat> = {
  pdf: 'PDF',
  csv: 'CSV',
  doc: 'DOC',
  docx: 'DOCX',
  xls: 'XLS',
  xlsx: 'XLSX',
  html: 'HTML',
  htm: 'HTML',
  txt: 'TXT',
  md: 'MD',
  markdown: 'MD',
};
const DOCUMENT_BY_MIME: Record<string, DocumentFormat> = {
  'application/pdf': 'PDF',
  'text/csv': 'CSV',
  'application/msword': 'DOC',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
  'application/vnd.ms-excel': 'XLS',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
  'text/html': 'HTML',
  'text/plain': 'TXT',
  'text/markdown': 'MD',
};

/** What the file picker offers (the same formats Bedrock's Converse API accepts). */
export const ACCEPTED_FILES = [
  ...Object.keys(IMAGE_BY_MIME),
  ...Object.keys(DOCUMENT_BY_EXTENSION).map((ext) => `.${ext}`),
].join(',');

/** Raw bytes of all attachments together that fit LIMITS.attachmentBase64Chars as base64. */
export const ATTACHMENT_BYTES = Math.floor((LIMITS.attachmentBase64Chars / 4) * 3);

/** "812 B", "12 KB", "1.4 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The format of a file from its MIME type, else its extension; null when Bedrock takes neither. */
export function kindOf(file: { name: string; type: string }): FileKind | null {
  const mime = file.type.toLowerCase();
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  const image = IMAGE_BY_MIME[mime] ?? (mime === '' ? IMAGE_BY_EXTENSION[ext] : undefined);
  if (image) return { kind: 'image', format: image };
  // Browsers give documents odd or empty MIME types (CSV as Excel, MD as ''): the extension
  // decides when it is known.
  const document = DOCUMENT_BY_EXTENSION[ext] ?? DOCUMENT_BY_MIME[mime];
  if (document) return { kind: 'document', format: document };
  return null;
}

/**
 * The name Bedrock accepts for a document (letters, digits, single spaces, - ( ) [ ]), made
 * from the file name without its extension; "document" when nothing is left.
 */
export function documentName(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '');
  const name = base
    .replace(/[^A-Za-z0-9\-()[\] ]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, LIMITS.documentNameChars)
    .trim();
  return name || 'document';
}

/** Whether the first bytes are those of `format` (a renamed file is caught before upload). */
export function hasImageSignature(format: ImageFormat, head: Uint8Array): boolean {
  const at = (offset: number, ...bytes: number[]) => bytes.every((b, i) => head[offset + i] === b);
  switch (format) {
    case 'PNG':
      return at(0, 0x89, 0x50, 0x4e, 0x47);
    case 'JPEG':
      return at(0, 0xff, 0xd8, 0xff);
    case 'GIF':
      return at(0, 0x47, 0x49, 0x46, 0x38);
    case 'WEBP':
      return at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50);
  }
}

/** Base64 of bytes (chunked: a spread of a large array overflows the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const FORMATS_TEXT = `${IMAGE_FORMATS.join(', ')} images or ${DOCUMENT_FORMATS.join(', ')} documents`;

/** Why a file cannot join the attachments, or null when it can (checked before reading it). */
export function refusal(
  file: { name: string; type: string; size: number },
  current: readonly Attachment[],
): string | null {
  const kind = kindOf(file);
  if (!kind) return `“${file.name}” cannot be attached: only ${FORMATS_TEXT} can.`;
  if (file.size === 0) return `“${file.name}” is empty.`;
  const used = current.reduce((sum, a) => sum + (a.part.bytes.length / 4) * 3, 0);
  if (used + file.size > ATTACHMENT_BYTES) {
    const left = Math.max(0, ATTACHMENT_BYTES - used);
    return `“${file.name}” is ${formatBytes(file.size)}: a message's files may total ${formatBytes(ATTACHMENT_BYTES)} (${formatBytes(left)} left). Larger files go through S3.`;
  }
  const same = current.filter((a) => a.part.type === kind.kind).length;
  const max = kind.kind === 'image' ? LIMITS.images : LIMITS.documents;
  if (same >= max) return `“${file.name}”: a message takes at most ${max} ${kind.kind}s.`;
  if (kind.kind === 'document') {
    const name = documentName(file.name);
    if (current.some((a) => a.part.type === 'document' && a.part.name === name))
      return `“${file.name}”: a document named “${name}” is already attached.`;
  }
  return null;
}

let nextId = 0;

/**
 * Reads a file into an attachment, or says why it cannot be one (wrong type, empty, too
 * large, too many of its kind, an image whose bytes are not its format).
 */
export async function readAttachment(
  file: File,
  current: readonly Attachment[],
): Promise<{ ok: true; attachment: Attachment } | { ok: false; error: string }> {
  const refused = refusal(file, current);
  if (refused) return { ok: false, error: refused };
  const kind = kindOf(file)!;
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (kind.kind === 'image' && !hasImageSignature(kind.format, bytes.subarray(0, 12)))
    return { ok: false, error: `“${file.name}” is not a valid ${kind.format} image.` };
  const id = `a${++nextId}`;
  const data = toBase64(bytes);
  const part: ImagePart | DocumentPart =
    kind.kind === 'image'
      ? { type: 'image', format: kind.format, bytes: data }
      : { type: 'document', format: kind.format, name: documentName(file.name), bytes: data };
  return { ok: true, attachment: { id, fileName: file.name, part } };
}
