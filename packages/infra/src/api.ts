import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import {
  CfnOutput,
  Duration,
  Expiration,
  RemovalPolicy,
  Stack,
  aws_appsync as appsync,
  aws_iam as iam,
  aws_logs as logs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BedrockStreamAuth } from './props.js';

/** What {@link buildApi} needs. */
export interface ApiOptions {
  name: string;
  auth: BedrockStreamAuth;
  /** AppSync environment variables (the resolvers' settings). */
  environmentVariables: Record<string, string>;
  fieldLogLevel: appsync.FieldLogLevel;
  xrayEnabled: boolean;
  logRetention: logs.RetentionDays;
}

function defaultAuthorization(auth: BedrockStreamAuth): appsync.AuthorizationMode {
  switch (auth.mode) {
    case 'API_KEY':
      return {
        authorizationType: appsync.AuthorizationType.API_KEY,
        apiKeyConfig: {
          description: 'bedrock-stream API key',
          expires:
            auth.apiKeyExpiresInDays === undefined
              ? undefined
              : Expiration.after(Duration.days(auth.apiKeyExpiresInDays)),
        },
      };
    case 'USER_POOL':
      return {
        authorizationType: appsync.AuthorizationType.USER_POOL,
        userPoolConfig: { userPool: auth.userPool, appIdClientRegex: auth.appIdClientRegex },
      };
    case 'OIDC':
      return {
        authorizationType: appsync.AuthorizationType.OIDC,
        openIdConnectConfig: { oidcProvider: auth.issuer, clientId: auth.clientId },
      };
    case 'IAM':
      return { authorizationType: appsync.AuthorizationType.IAM };
  }
}

/**
 * The AppSync API (id `Api`) from the contracts' deployable schema, with the chosen auth
 * mode plus IAM (the worker signs `publishChunk`, which is `@aws_iam` only), and its
 * logging (`ApiLogRole`, `ApiLogs`).
 */
export function buildApi(scope: Construct, options: ApiOptions): appsync.GraphqlApi {
  // AppSync logging with our own role scoped to the API's log group, instead of the
  // AWSAppSyncPushToCloudWatchLogs managed policy (which may write to any log group), and
  // the log group created here with a retention, instead of CDK's LogRetention Lambda.
  const apiLogRole = new iam.Role(scope, 'ApiLogRole', {
    assumedBy: new iam.ServicePrincipal('appsync.amazonaws.com'),
    description: 'AppSync writes the bedrock-stream API logs',
  });
  const api = new appsync.GraphqlApi(scope, 'Api', {
    name: options.name,
    definition: appsync.Definition.fromFile(schemaFiles.deployable),
    authorizationConfig: {
      defaultAuthorization: defaultAuthorization(options.auth),
      additionalAuthorizationModes:
        options.auth.mode === 'IAM' ? [] : [{ authorizationType: appsync.AuthorizationType.IAM }],
    },
    environmentVariables: options.environmentVariables,
    xrayEnabled: options.xrayEnabled,
  });
  // Logging set on the L1 resource: the L2 `logConfig` always adds CDK's LogRetention
  // custom resource (a Lambda function with a managed policy and `logs:*` on `*`).
  const cfnApi = api.node.defaultChild as appsync.CfnGraphQLApi;
  cfnApi.logConfig = {
    cloudWatchLogsRoleArn: apiLogRole.roleArn,
    fieldLogLevel: options.fieldLogLevel,
  };
  const apiLogGroup = new logs.LogGroup(scope, 'ApiLogs', {
    logGroupName: `/aws/appsync/apis/${api.apiId}`,
    retention: options.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  apiLogGroup.grantWrite(apiLogRole);
  // AppSync's documented logging permissions include CreateLogGroup; allow it on this group only
  // (the group already exists, so the call is a harmless no-op rather than an access error).
  apiLogRole.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup'],
      resources: [apiLogGroup.logGroupArn],
    }),
  );
  return api;
}

/** The outputs a client needs: `GraphqlUrl`, `Region`, `ApiKeyId` (API key mode). */
export function addApiOutputs(scope: Construct, api: appsync.GraphqlApi): void {
  new CfnOutput(scope, 'GraphqlUrl', {
    value: api.graphqlUrl,
    description: 'AppSync GraphQL endpoint (the real-time endpoint is derived from it)',
  });
  new CfnOutput(scope, 'Region', {
    value: Stack.of(scope).region,
    description: 'AWS region of the API',
  });
  if (api.apiKey !== undefined)
    new CfnOutput(scope, 'ApiKeyId', {
      value: api.apiKey,
      description: 'AppSync API key (its id is the x-api-key value)',
    });
}
