// Helpers to read a synthesized CloudFormation template in tests.
import type { Template } from 'aws-cdk-lib/assertions';

/** A CloudFormation resource as it appears in the template. */
export interface CfnResourceJson {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  Metadata?: Record<string, unknown>;
}

/** One IAM policy statement. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The template's resources by logical id, optionally of one type. */
export function resources(template: Template, type?: string): Record<string, CfnResourceJson> {
  const all = template.toJSON() as { Resources: Record<string, CfnResourceJson> };
  return Object.fromEntries(
    Object.entries(all.Resources).filter(([, r]) => type === undefined || r.Type === type),
  );
}

/**
 * Renders a CloudFormation value as a readable string: `Fn::Join` is joined, `Ref` becomes
 * `${Name}`, `Fn::GetAtt` becomes `${Id.Attr}`. Makes ARN assertions exact and legible.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) return `\${${String(o['Ref'])}}`;
    if ('Fn::GetAtt' in o) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
  }
  return JSON.stringify(value);
}

/** `[x]` for a single value, the array itself otherwise. */
export function list<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The statements of every AWS::IAM::Policy, with the logical id of the role they attach to. */
export function statementsByRole(
  template: Template,
): Array<{ role: string; statement: Statement }> {
  return Object.values(resources(template, 'AWS::IAM::Policy')).flatMap((p) => {
    const props = p.Properties as {
      Roles: Array<{ Ref: string }>;
      PolicyDocument: { Statement: Statement[] };
    };
    return props.Roles.flatMap(({ Ref }) =>
      props.PolicyDocument.Statement.map((statement) => ({ role: Ref, statement })),
    );
  });
}

/** The single logical id of a resource of `type` whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resources(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return ids[0]!;
}
