import type { Duration } from 'aws-cdk-lib';
import { RemovalPolicy, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { suppressNag } from './nag.js';
import { buildWorkerRole, type WorkerRoleGrants } from './worker-role.js';

/** What differs between the functions of the worker bundle. */
export interface WorkerFunctionOptions {
  description: string;
  /** The bundle's export: `index.handler` or `index.failureHandler`. */
  handler: string;
  code: lambda.Code;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize: number;
  reservedConcurrentExecutions?: number;
  logRetention: logs.RetentionDays;
  /** What its role may do besides writing its logs. */
  grants: Omit<WorkerRoleGrants, 'logGroup'>;
  /** Why this function stays on Node.js 22 (cdk-nag AwsSolutions-L1). */
  runtimeReason: string;
}

/**
 * A function of the worker bundle (Node.js 22, arm64) with its own log group
 * (`<id>Logs`) and least-privilege role (`<id>Role`): the worker and the failure handler
 * are both built here.
 */
export function buildWorkerFunction(
  scope: Construct,
  id: string,
  options: WorkerFunctionOptions,
): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: options.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = buildWorkerRole(scope, `${id}Role`, { ...options.grants, logGroup });
  const fn = new lambda.Function(scope, id, {
    description: options.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    handler: options.handler,
    code: options.code,
    role,
    timeout: options.timeout,
    memorySize: options.memorySize,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    logGroup,
    environment: options.environment,
  });
  suppressNag(fn, [{ id: 'AwsSolutions-L1', reason: options.runtimeReason }]);
  return fn;
}
