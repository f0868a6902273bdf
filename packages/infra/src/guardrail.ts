import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BedrockStreamGuardrail } from './props.js';

/** The one guardrail ARN the worker may apply: an id is completed in the stack's region/account. */
export function guardrailArn(scope: Construct, identifier: string): string {
  if (identifier.startsWith('arn:')) return identifier;
  const { region, account, partition } = Stack.of(scope);
  return `arn:${partition}:bedrock:${region}:${account}:guardrail/${identifier}`;
}

/** The worker environment that turns the guardrail on (read by the worker's config). */
export function guardrailEnvironment(guardrail: BedrockStreamGuardrail): Record<string, string> {
  return {
    GUARDRAIL_ID: guardrail.identifier,
    GUARDRAIL_VERSION: guardrail.version,
    ...(guardrail.streamProcessingMode
      ? { GUARDRAIL_STREAM_MODE: guardrail.streamProcessingMode }
      : {}),
    GUARDRAIL_TRACE: String(guardrail.trace ?? false),
  };
}
