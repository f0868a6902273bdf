import { fileURLToPath } from 'node:url';

/** A data source of the API, by kind. Names are the keys of `ApiDefinition.dataSources`. */
export type DataSourceDefinition =
  | { type: 'NONE' }
  | { type: 'AMAZON_DYNAMODB'; table: 'streams' }
  | { type: 'AWS_LAMBDA'; function: 'worker' };

/** A pipeline function: its data source and its bundled APPSYNC_JS file. */
export interface FunctionDefinition {
  dataSource: string;
  /** Absolute path of the bundled APPSYNC_JS code. */
  codeFile: string;
}

/** A resolver attached to `typeName.fieldName`. */
export interface ResolverDefinition {
  typeName: string;
  fieldName: string;
  kind: 'UNIT' | 'PIPELINE';
  /** UNIT only. */
  dataSource?: string;
  /** PIPELINE only: function names, in order. */
  functions?: string[];
  /** Absolute path of the bundled APPSYNC_JS code. */
  codeFile: string;
}

/**
 * The API's wiring: which resolver runs which code against which data source. The CDK
 * construct deploys exactly this and the local emulator runs exactly this, so local
 * and deployed behaviour cannot drift apart.
 */
export interface ApiDefinition {
  dataSources: Record<string, DataSourceDefinition>;
  functions: Record<string, FunctionDefinition>;
  resolvers: ResolverDefinition[];
  /** AppSync environment variables (`ctx.env`) for the given settings. */
  environmentVariables(settings: { allowedModelIds: readonly string[] }): Record<string, string>;
}

// `../dist/appsync/` resolves the same from src/ (tests, tsx) and from dist/ (built).
const bundleDir = new URL('../dist/appsync/', import.meta.url);

/** Absolute path of a bundled resolver file in dist/appsync/. */
export function codeFile(name: string): string {
  return fileURLToPath(new URL(`${name}.js`, bundleDir));
}

function fn(dataSource: string, name: string): FunctionDefinition {
  return { dataSource, codeFile: codeFile(`functions/${name}`) };
}

function pipeline(typeName: string, fieldName: string, functions: string[]): ResolverDefinition {
  return {
    typeName,
    fieldName,
    kind: 'PIPELINE',
    functions,
    codeFile: codeFile(`resolvers/${fieldName}`),
  };
}

/** The bedrock-stream API wiring (see DESIGN.md, data flow). */
export const apiDefinition: ApiDefinition = {
  dataSources: {
    streamsTable: { type: 'AMAZON_DYNAMODB', table: 'streams' },
    worker: { type: 'AWS_LAMBDA', function: 'worker' },
    none: { type: 'NONE' },
  },
  functions: {
    putStream: fn('streamsTable', 'putStream'),
    getExistingStream: fn('streamsTable', 'getExistingStream'),
    invokeWorker: fn('worker', 'invokeWorker'),
    getOwnedStream: fn('streamsTable', 'getOwnedStream'),
    requestCancel: fn('streamsTable', 'requestCancel'),
    getStreamForPublish: fn('streamsTable', 'getStreamForPublish'),
    putChunk: fn('streamsTable', 'putChunk'),
    advanceLastSeq: fn('streamsTable', 'advanceLastSeq'),
    queryChunks: fn('streamsTable', 'queryChunks'),
  },
  resolvers: [
    pipeline('Mutation', 'startStream', ['putStream', 'getExistingStream', 'invokeWorker']),
    pipeline('Mutation', 'cancelStream', ['getOwnedStream', 'requestCancel']),
    pipeline('Mutation', 'publishChunk', ['getStreamForPublish', 'putChunk', 'advanceLastSeq']),
    pipeline('Query', 'getStream', ['getOwnedStream']),
    pipeline('Query', 'streamChunks', ['getOwnedStream', 'queryChunks']),
    {
      typeName: 'Subscription',
      fieldName: 'onStreamChunk',
      kind: 'UNIT',
      dataSource: 'streamsTable',
      codeFile: codeFile('resolvers/onStreamChunk'),
    },
  ],
  environmentVariables: ({ allowedModelIds }) => ({ ALLOWED_MODEL_IDS: allowedModelIds.join(',') }),
};
