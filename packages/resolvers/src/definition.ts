import { fileURLToPath } from 'node:url';
import { quotaEnvironment, type QuotaSettings } from '@org/bedrock-stream-contracts/quotas';

/** The AppSync environment variable naming the streams table (see lib/quotas.ts). */
const TABLE_NAME_ENV = 'STREAMS_TABLE_NAME';

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
  environmentVariables(settings: ApiSettings): Record<string, string>;
}

/** What the resolvers are configured with (through AppSync environment variables). */
export interface ApiSettings {
  allowedModelIds: readonly string[];
  /**
   * Limits on starting streams (see contracts' QuotaSettings); all off when absent. Any
   * limit needs `tableName`: the start becomes a transaction, and transactions name their
   * table.
   */
  quotas?: QuotaSettings;
  /**
   * The streams table's name (deployed: the CDK token of the table). Needed by quotas and
   * by conversation turns (both write with TransactWriteItems, whose items name their
   * table); without it a turn fails with an InternalFailure naming the setting.
   */
  tableName?: string;
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

/** The steps of every conversation turn (sendMessage, regenerateMessage, submitToolResults). */
const TURN_STEPS = [
  'getOwnedConversation',
  'getTurnStream',
  'readTurnMessages',
  'writeTurn',
  'invokeWorker',
  'releaseStartSlots',
] as const;

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
    releaseStartSlots: fn('streamsTable', 'releaseStartSlots'),
    getOwnedStream: fn('streamsTable', 'getOwnedStream'),
    requestCancel: fn('streamsTable', 'requestCancel'),
    getStreamForPublish: fn('streamsTable', 'getStreamForPublish'),
    putChunk: fn('streamsTable', 'putChunk'),
    advanceLastSeq: fn('streamsTable', 'advanceLastSeq'),
    queryChunks: fn('streamsTable', 'queryChunks'),
    queryUsageDays: fn('streamsTable', 'queryUsageDays'),
    queryUsageMonths: fn('streamsTable', 'queryUsageMonths'),
    putConversation: fn('streamsTable', 'putConversation'),
    getExistingConversation: fn('streamsTable', 'getExistingConversation'),
    getOwnedConversation: fn('streamsTable', 'getOwnedConversation'),
    queryConversations: fn('streamsTable', 'queryConversations'),
    queryMessages: fn('streamsTable', 'queryMessages'),
    updateConversationTitle: fn('streamsTable', 'updateConversationTitle'),
    deleteConversationRecord: fn('streamsTable', 'deleteConversationRecord'),
    purgeConversation: fn('worker', 'purgeConversation'),
    restoreConversation: fn('streamsTable', 'restoreConversation'),
    getTurnStream: fn('streamsTable', 'getTurnStream'),
    readTurnMessages: fn('streamsTable', 'readTurnMessages'),
    writeTurn: fn('streamsTable', 'writeTurn'),
  },
  resolvers: [
    pipeline('Mutation', 'startStream', [
      'putStream',
      'getExistingStream',
      'invokeWorker',
      'releaseStartSlots',
    ]),
    pipeline('Mutation', 'cancelStream', ['getOwnedStream', 'requestCancel']),
    pipeline('Mutation', 'publishChunk', ['getStreamForPublish', 'putChunk', 'advanceLastSeq']),
    pipeline('Query', 'getStream', ['getOwnedStream']),
    pipeline('Query', 'streamChunks', ['getOwnedStream', 'queryChunks']),
    pipeline('Query', 'myUsage', ['queryUsageDays', 'queryUsageMonths']),
    pipeline('Query', 'usageOf', ['queryUsageDays', 'queryUsageMonths']),
    pipeline('Mutation', 'createConversation', ['putConversation', 'getExistingConversation']),
    pipeline('Query', 'getConversation', ['getOwnedConversation']),
    pipeline('Query', 'listConversations', ['queryConversations']),
    pipeline('Query', 'conversationMessages', ['getOwnedConversation', 'queryMessages']),
    pipeline('Mutation', 'renameConversation', ['updateConversationTitle']),
    pipeline('Mutation', 'deleteConversation', [
      'deleteConversationRecord',
      'purgeConversation',
      'restoreConversation',
    ]),
    // A turn stores its stream like startStream does and hands it to the worker the same way.
    ...['sendMessage', 'regenerateMessage', 'submitToolResults'].map((field) =>
      pipeline('Mutation', field, [...TURN_STEPS]),
    ),
    {
      typeName: 'Subscription',
      fieldName: 'onStreamChunk',
      kind: 'UNIT',
      dataSource: 'streamsTable',
      codeFile: codeFile('resolvers/onStreamChunk'),
    },
  ],
  environmentVariables: ({ allowedModelIds, quotas, tableName }) => {
    const limits = quotaEnvironment(quotas);
    if (Object.keys(limits).length > 0 && !tableName) {
      throw new Error('quotas need the streams table name (settings.tableName)');
    }
    return {
      ALLOWED_MODEL_IDS: allowedModelIds.join(','),
      ...(tableName ? { [TABLE_NAME_ENV]: tableName } : {}),
      ...limits,
    };
  },
};
