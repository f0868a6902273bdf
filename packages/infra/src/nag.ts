import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One cdk-nag suppression: the rule id, why it does not apply, and optionally which findings. */
export interface NagSuppression {
  id: string;
  reason: string;
  /** Finding ids (or `{regex: '/.../'}`) the suppression is limited to. */
  appliesTo?: Array<string | { regex: string }>;
}

/**
 * Records cdk-nag suppressions on a construct's CloudFormation resource, in the metadata
 * format cdk-nag reads (`cdk_nag.rules_to_suppress`). Written here instead of calling
 * `NagSuppressions` so the construct carries its own justified suppressions (users who run
 * cdk-nag on their stacks see a clean report) without a runtime dependency on cdk-nag.
 */
export function suppressNag(construct: IConstruct, suppressions: NagSuppression[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource))
    throw new Error(`suppressNag: ${construct.node.path} has no CloudFormation resource`);
  const existing = (
    resource.getMetadata('cdk_nag') as { rules_to_suppress?: unknown[] } | undefined
  )?.rules_to_suppress;
  resource.addMetadata('cdk_nag', {
    rules_to_suppress: [
      ...(existing ?? []),
      ...suppressions.map(({ id, reason, appliesTo }) => ({
        id,
        reason,
        ...(appliesTo ? { applies_to: appliesTo } : {}),
      })),
    ],
  });
}
