import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  CancelStreamDocument,
  GetStreamDocument,
  OnStreamChunkDocument,
  PublishChunkDocument,
  StartStreamDocument,
  StreamChunksDocument,
} from '../src/index.js';
import { schemaFiles } from '../src/node.js';

const sdl = [schemaFiles.awsBuiltins, schemaFiles.deployable]
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('schema/schema.graphql', () => {
  const schema = buildSchema(sdl);

  it('is valid GraphQL with the AWS built-ins declared', () => {
    expect(schema.getMutationType()?.getFields()).toHaveProperty('publishChunk');
  });

  it('makes publishChunk IAM-only and subscribes onStreamChunk to it', () => {
    const publish = schema.getMutationType()!.getFields().publishChunk!;
    expect(publish.astNode?.directives?.map((d) => d.name.value)).toEqual(['aws_iam']);
    const sub = schema.getSubscriptionType()!.getFields().onStreamChunk!;
    const subscribe = sub.astNode?.directives?.find((d) => d.name.value === 'aws_subscribe');
    expect(subscribe?.arguments?.[0]?.value).toMatchObject({ values: [{ value: 'publishChunk' }] });
  });

  it('validates every generated operation document', () => {
    for (const doc of [
      StartStreamDocument,
      CancelStreamDocument,
      GetStreamDocument,
      StreamChunksDocument,
      OnStreamChunkDocument,
      PublishChunkDocument,
    ]) {
      expect(validate(schema, doc)).toEqual([]);
    }
  });

  it('does not redeclare AppSync built-ins in the deployable file', () => {
    const deployable = parse(readFileSync(schemaFiles.deployable, 'utf8'));
    const declared = deployable.definitions.flatMap((d) =>
      'name' in d && d.name ? [d.name.value] : [],
    );
    expect(declared.filter((n) => n.startsWith('AWS') || n.startsWith('aws_'))).toEqual([]);
  });
});
