import { readFileSync } from 'node:fs';
import { CONVERSATIONS_BY_OWNER } from '@org/bedrock-stream-contracts';
import type { ApiDefinition } from '@org/bedrock-stream-resolvers';
import type { aws_dynamodb as dynamodb, aws_lambda as lambda } from 'aws-cdk-lib';
import { aws_appsync as appsync, aws_iam as iam } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { dynamoDbActionsFor } from './resolver-permissions.js';

/**
 * One AppSync data source per `definition.dataSources` entry (id `DataSource<name>`), each
 * with its own role (`DataSource<name>Role`) that may do exactly what the resolvers
 * attached to it need.
 */
export function buildDataSources(
  scope: Construct,
  wiring: {
    api: appsync.GraphqlApi;
    table: dynamodb.ITable;
    worker: lambda.IFunction;
    definition: ApiDefinition;
  },
): Record<string, appsync.BaseDataSource> {
  const { api, table, worker, definition } = wiring;
  const filesBySource = new Map<string, string[]>();
  const use = (source: string, file: string) =>
    filesBySource.set(source, [...(filesBySource.get(source) ?? []), file]);
  for (const fn of Object.values(definition.functions)) use(fn.dataSource, fn.codeFile);
  for (const r of definition.resolvers) if (r.dataSource) use(r.dataSource, r.codeFile);

  const sources: Record<string, appsync.BaseDataSource> = {};
  for (const [name, ds] of Object.entries(definition.dataSources)) {
    if (ds.type === 'NONE') {
      sources[name] = api.addNoneDataSource(name, { name });
      continue;
    }
    // CDK's data sources grant broad access (all read/write actions, invoke on every
    // version); give them a role that ignores those grants and add exact statements.
    const role = new iam.Role(scope, `DataSource${name}Role`, {
      assumedBy: new iam.ServicePrincipal('appsync.amazonaws.com'),
    });
    const serviceRole = role.withoutPolicyUpdates();
    if (ds.type === 'AMAZON_DYNAMODB') {
      sources[name] = new appsync.DynamoDbDataSource(scope, `DataSource${name}`, {
        api,
        name,
        table,
        serviceRole,
      });
      const actions = dynamoDbActionsFor(filesBySource.get(name) ?? []);
      role.addToPolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
      // listConversations queries the conversationsByOwner index: Query on that index only.
      if (actions.includes('dynamodb:Query'))
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: [`${table.tableArn}/index/${CONVERSATIONS_BY_OWNER.indexName}`],
          }),
        );
    } else {
      sources[name] = new appsync.LambdaDataSource(scope, `DataSource${name}`, {
        api,
        name,
        lambdaFunction: worker,
        serviceRole,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [worker.functionArn],
        }),
      );
    }
  }
  return sources;
}

/**
 * Functions (`Function<name>`) and resolvers (`Resolver<Type><field>`) exactly as
 * `definition` says, code inlined from its files.
 */
export function wireResolvers(
  scope: Construct,
  wiring: {
    api: appsync.GraphqlApi;
    dataSources: Readonly<Record<string, appsync.BaseDataSource>>;
    definition: ApiDefinition;
  },
): void {
  const { api, dataSources, definition } = wiring;
  const dataSource = (name: string, user: string) => {
    const ds = dataSources[name];
    if (!ds) throw new Error(`BedrockStreamApi: ${user} uses unknown data source "${name}"`);
    return ds;
  };
  // Inline (not an S3 asset): the template then holds the exact bytes, which a test hashes
  // against the emulator's files, and no asset upload is needed for resolver code.
  const code = (file: string) => appsync.Code.fromInline(readFileSync(file, 'utf8'));
  const functions: Record<string, appsync.AppsyncFunction> = {};
  for (const [name, fn] of Object.entries(definition.functions)) {
    functions[name] = new appsync.AppsyncFunction(scope, `Function${name}`, {
      api,
      name,
      dataSource: dataSource(fn.dataSource, `function ${name}`),
      code: code(fn.codeFile),
      runtime: appsync.FunctionRuntime.JS_1_0_0,
    });
  }
  for (const r of definition.resolvers) {
    const field = `${r.typeName}.${r.fieldName}`;
    new appsync.Resolver(scope, `Resolver${r.typeName}${r.fieldName}`, {
      api,
      typeName: r.typeName,
      fieldName: r.fieldName,
      code: code(r.codeFile),
      runtime: appsync.FunctionRuntime.JS_1_0_0,
      ...(r.kind === 'PIPELINE'
        ? {
            pipelineConfig: (r.functions ?? []).map((f) => {
              const fn = functions[f];
              if (!fn) throw new Error(`BedrockStreamApi: ${field} uses unknown function "${f}"`);
              return fn;
            }),
          }
        : { dataSource: dataSource(r.dataSource ?? '', field) }),
    });
  }
}
