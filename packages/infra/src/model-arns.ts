import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Prefixes of Bedrock system-defined cross-region inference profiles (`us.anthropic...`,
 * `global.anthropic...`). Any other id is a foundation-model id.
 */
const INFERENCE_PROFILE_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\./;

/**
 * IAM resource ARNs that let a role invoke the given Bedrock model ids and nothing else:
 *
 * - foundation model `anthropic.claude-...` -> `arn:<partition>:bedrock:<region>::foundation-model/<id>`;
 * - cross-region inference profile `us.anthropic.claude-...` ->
 *   `arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>` plus the underlying
 *   foundation model in any region (`bedrock:*::foundation-model/<model id>`), because the
 *   profile routes each request to one of several regions and Bedrock checks the model ARN
 *   of the region that serves it;
 * - a full ARN is used as given (an application inference profile ARN also needs the ARNs
 *   of its models: pass those too).
 */
export function modelArns(scope: Construct, modelIds: readonly string[]): string[] {
  const { region, account, partition } = Stack.of(scope);
  const arns = modelIds.flatMap((id) => {
    if (id.startsWith('arn:')) return [id];
    if (INFERENCE_PROFILE_PREFIX.test(id)) {
      return [
        `arn:${partition}:bedrock:${region}:${account}:inference-profile/${id}`,
        `arn:${partition}:bedrock:*::foundation-model/${id.replace(INFERENCE_PROFILE_PREFIX, '')}`,
      ];
    }
    return [`arn:${partition}:bedrock:${region}::foundation-model/${id}`];
  });
  return [...new Set(arns)];
}
