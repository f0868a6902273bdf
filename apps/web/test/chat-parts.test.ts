/** The chat's pure parts: titles, edits, usage lines, attachments, the demo tool, the URL. */
import { LIMITS, type MessagePart } from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import {
  ATTACHMENT_BYTES,
  documentName,
  hasImageSignature,
  kindOf,
  readAttachment,
  refusal,
  toBase64,
  type Attachment,
} from '../src/attachments.js';
import {
  editedParts,
  compactJson,
  errorText,
  stopNote,
  textOf,
  titleFrom,
  usageLine,
} from '../src/conversation.js';
import { CLIENT_TOOLS, DICE_TOOL, rollDice, runClientTool } from '../src/demo-tool.js';
import { conversationIdFrom, hashFor } from '../src/selected-conversation.js';
import { ToolConfigSchema } from '@org/bedrock-stream-contracts';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('conversation helpers', () => {
  it('titles a conversation after its first line, cut at a word, markers left out', () => {
    expect(titleFrom('  Name a river.\nAnd more')).toBe('Name a river.');
    expect(titleFrom('Show me [[format:markdown]]')).toBe('Show me');
    expect(titleFrom('')).toBe('New conversation');
    const long = 'word '.repeat(30);
    const title = titleFrom(long);
    expect(title.endsWith('…')).toBe(true);
    expect(title.length).toBeLessThanOrEqual(61);
    expect(title).not.toMatch(/wor…$/);
  });

  it('an edit keeps the original files and replaces the text', () => {
    const original: MessagePart[] = [
      { type: 'text', text: 'old' },
      { type: 'image', format: 'PNG', bytes: 'iVBORw0KGgo=' },
    ];
    expect(textOf(original)).toBe('old');
    expect(editedParts(original, ' new ')).toEqual([
      { type: 'text', text: 'new' },
      { type: 'image', format: 'PNG', bytes: 'iVBORw0KGgo=' },
    ]);
    expect(editedParts(original, '  ')).toEqual([original[1]]);
  });

  it('says the usage of an answer, and notes unusual ends only', () => {
    expect(usageLine({ inputTokens: 1200, outputTokens: 60, totalTokens: 1260 })).toBe(
      '1,200 in · 60 out tokens',
    );
    expect(
      usageLine({
        inputTokens: 5,
        outputTokens: 6,
        totalTokens: 11,
        cacheReadInputTokens: 1024,
      }),
    ).toBe('5 in · 6 out tokens · 1,024 read from cache');
    expect(usageLine(null)).toBe('');
    expect(stopNote('end_turn')).toBe('');
    expect(stopNote('max_tokens')).toMatch(/length limit/);
  });

  it('tells quota errors apart from others', () => {
    expect(errorText({ message: 'boom', code: 'MODEL_ERROR' })).toBe('boom');
    expect(errorText(null)).toBe('The answer failed.');
    expect(errorText({ message: 'x', code: 'THROTTLED', retryAfterSeconds: 3 })).toBe(
      'Too many requests at once. Try again in 3 s.',
    );
  });
});

describe('attachments', () => {
  const file = (name: string, type: string, bytes: number[] | Uint8Array) =>
    new File([new Uint8Array(bytes)], name, { type });

  it('knows Bedrock formats by MIME type, else by extension', () => {
    expect(kindOf({ name: 'a.png', type: 'image/png' })).toEqual({ kind: 'image', format: 'PNG' });
    expect(kindOf({ name: 'photo', type: 'image/jpeg' })).toEqual({
      kind: 'image',
      format: 'JPEG',
    });
    expect(kindOf({ name: 'notes.md', type: '' })).toEqual({ kind: 'document', format: 'MD' });
    expect(kindOf({ name: 'data.csv', type: 'application/vnd.ms-excel' })).toEqual({
      kind: 'document',
      format: 'CSV',
    });
    expect(kindOf({ name: 'movie.mp4', type: 'video/mp4' })).toBeNull();
    expect(kindOf({ name: 'icon.svg', type: 'image/svg+xml' })).toBeNull();
  });

  it('makes document names Bedrock accepts', () => {
    expect(documentName('Q3 report (final).pdf')).toBe('Q3 report (final)');
    expect(documentName('my_notes..v2.txt')).toBe('my notes v2');
    expect(documentName('…')).toBe('document');
    expect(documentName(`${'a'.repeat(300)}.txt`)).toHaveLength(LIMITS.documentNameChars);
  });

  it('checks image signatures and encodes base64', () => {
    expect(hasImageSignature('PNG', new Uint8Array(PNG_HEAD))).toBe(true);
    expect(hasImageSignature('JPEG', new Uint8Array(PNG_HEAD))).toBe(false);
    expect(toBase64(new TextEncoder().encode('hello'))).toBe('aGVsbG8=');
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(toBase64(big)).toBe(Buffer.from(big).toString('base64'));
  });

  it('refuses wrong types, empty files, too much in all, too many, and name clashes', () => {
    const none: Attachment[] = [];
    expect(refusal({ name: 'a.exe', type: '', size: 10 }, none)).toMatch(/cannot be attached/);
    expect(refusal({ name: 'a.txt', type: 'text/plain', size: 0 }, none)).toMatch(/is empty/);
    expect(
      refusal({ name: 'big.png', type: 'image/png', size: ATTACHMENT_BYTES + 1 }, none),
    ).toMatch(/may total 192 KB .*S3/);
    const images: Attachment[] = Array.from({ length: LIMITS.images }, (_, i) => ({
      id: `i${i}`,
      fileName: `${i}.png`,
      part: { type: 'image', format: 'PNG', bytes: 'AAAA' },
    }));
    expect(refusal({ name: 'one-more.png', type: 'image/png', size: 3 }, images)).toMatch(
      /at most 20 images/,
    );
    const doc: Attachment[] = [
      {
        id: 'd',
        fileName: 'notes.txt',
        part: { type: 'document', format: 'TXT', name: 'notes', bytes: 'AAAA' },
      },
    ];
    expect(refusal({ name: 'notes.md', type: '', size: 3 }, doc)).toMatch(/already attached/);
    expect(refusal({ name: 'other.md', type: '', size: 3 }, doc)).toBeNull();
  });

  it('reads a file into a part, and refuses an image whose bytes are not its format', async () => {
    const png = await readAttachment(file('dot.png', 'image/png', [...PNG_HEAD, 0, 0]), []);
    expect(png).toMatchObject({
      ok: true,
      attachment: { fileName: 'dot.png', part: { type: 'image', format: 'PNG' } },
    });
    const doc = await readAttachment(file('Read me.txt', 'text/plain', [104, 105]), []);
    expect(doc).toMatchObject({
      ok: true,
      attachment: { part: { type: 'document', format: 'TXT', name: 'Read me', bytes: 'aGk=' } },
    });
    const fake = await readAttachment(file('fake.png', 'image/png', [1, 2, 3, 4]), []);
    expect(fake).toEqual({ ok: false, error: '“fake.png” is not a valid PNG image.' });
  });
});

describe('the demo client tool', () => {
  it('declares a valid client tool config', () => {
    expect(ToolConfigSchema.safeParse(CLIENT_TOOLS).success).toBe(true);
  });

  it('rolls within the bounds, whatever the model asked', () => {
    const low = () => 0;
    const high = () => 0.9999;
    expect(rollDice({ count: 2, sides: 6 }, low)).toEqual({ rolls: [1, 1], total: 2, sides: 6 });
    expect(rollDice({ count: 50, sides: 1_000 }, high)).toMatchObject({ sides: 100 });
    expect(rollDice({ count: 50, sides: 1_000 }, high).rolls).toHaveLength(10);
    expect(rollDice({ count: 'x' }, high)).toEqual({ rolls: [6], total: 6, sides: 6 });
    expect(runClientTool(DICE_TOOL, { count: 1, sides: 2 })).toMatchObject({ sides: 2 });
    expect(runClientTool('unknown', {})).toBeUndefined();
  });
});

describe('the open conversation in the URL', () => {
  it('reads and writes #c=<id>, and ignores anything else', () => {
    const id = '0b6b8c3e-4a8f-4e8e-9d6a-2f1c7c9b5a10';
    expect(conversationIdFrom(hashFor(id))).toBe(id);
    expect(hashFor(null)).toBe('');
    expect(conversationIdFrom('')).toBeNull();
    expect(conversationIdFrom('#c=<script>')).toBeNull();
    expect(conversationIdFrom('#other')).toBeNull();
  });
});

describe('compactJson', () => {
  it('keeps short arrays and objects on one line and indents the rest', () => {
    expect(compactJson({ rolls: [3, 5], total: 8 })).toBe('{ "rolls": [3, 5], "total": 8 }');
    expect(compactJson('text')).toBe('"text"');
    expect(compactJson({})).toBe('{}');
    const long = {
      city: 'ripple lumen',
      temperatureC: 4,
      conditions: 'sunny',
      note: 'x'.repeat(30),
    };
    expect(compactJson(long)).toBe(
      `{\n  "city": "ripple lumen",\n  "temperatureC": 4,\n  "conditions": "sunny",\n  "note": "${'x'.repeat(30)}"\n}`,
    );
    const value = { a: [1, 2], b: { c: 'd'.repeat(70) } };
    expect(JSON.parse(compactJson(value))).toEqual(value);
  });
});
