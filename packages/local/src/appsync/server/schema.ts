import type { GraphQLScalarType } from 'graphql';
import {
  buildSchema,
  GraphQLError,
  Kind,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import type { AuthMode } from './auth.js';

const DIRECTIVE_MODE: Record<string, AuthMode> = {
  aws_api_key: 'API_KEY',
  aws_iam: 'AWS_IAM',
  aws_oidc: 'OPENID_CONNECT',
  aws_cognito_user_pools: 'AMAZON_COGNITO_USER_POOLS',
};

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      return undefined;
  }
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') throw new GraphQLError('AWSJSON must be a JSON string');
  try {
    return JSON.parse(value);
  } catch {
    throw new GraphQLError(
      `Variable has an invalid value: '${value.slice(0, 50)}' is not valid JSON`,
    );
  }
}

const ISO_DATETIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}(:\d{2})?)$/;

/** AppSync's scalar semantics: AWSJSON inputs are parsed, outputs serialized to text. */
function installScalars(schema: GraphQLSchema): void {
  const scalar = (name: string) => schema.getType(name) as GraphQLScalarType | undefined;
  const json = scalar('AWSJSON');
  if (json) {
    Object.assign(json, {
      serialize: (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)),
      parseValue: parseJson,
      parseLiteral: (ast: ValueNode) =>
        ast.kind === Kind.STRING ? parseJson(ast.value) : literal(ast),
    });
  }
  const dateTime = scalar('AWSDateTime');
  if (dateTime) {
    const check = (v: unknown) => {
      if (typeof v !== 'string' || !ISO_DATETIME.test(v))
        throw new GraphQLError(`Invalid AWSDateTime: ${String(v)}`);
      return v;
    };
    Object.assign(dateTime, {
      serialize: check,
      parseValue: check,
      parseLiteral: (ast: ValueNode) => check(literal(ast)),
    });
  }
}

/** The schema plus AppSync's per-field metadata (auth directives, @aws_subscribe). */
export interface EmulatedSchema {
  schema: GraphQLSchema;
  /** Modes allowed on `Type.field` (field directives override the type's; none -> default mode). */
  allowedModes(
    type: GraphQLNamedType,
    field: GraphQLField<unknown, unknown>,
    defaultMode: AuthMode,
  ): Set<AuthMode>;
  /** Subscription field names triggered by a mutation field. */
  subscriptionsFor(mutationField: string): string[];
}

/** Builds the executable schema from AppSync SDL (plus the AWS built-in declarations). */
export function buildEmulatedSchema(sdl: string): EmulatedSchema {
  const schema = buildSchema(sdl);
  installScalars(schema);
  const triggers = new Map<string, string[]>();
  const subscription = schema.getSubscriptionType();
  for (const field of Object.values(subscription?.getFields() ?? {})) {
    const directive = field.astNode?.directives?.find((d) => d.name.value === 'aws_subscribe');
    const mutations = directive?.arguments?.find((a) => a.name.value === 'mutations');
    for (const name of (mutations ? (literal(mutations.value) as string[]) : []) ?? []) {
      triggers.set(name, [...(triggers.get(name) ?? []), field.name]);
    }
  }
  const modesOf = (directives: readonly { name: { value: string } }[] | undefined): AuthMode[] =>
    (directives ?? [])
      .map((d) => DIRECTIVE_MODE[d.name.value])
      .filter((m): m is AuthMode => Boolean(m));
  return {
    schema,
    allowedModes(type, field, defaultMode) {
      const onField = modesOf(field.astNode?.directives);
      if (onField.length) return new Set(onField);
      const onType = modesOf(type.astNode?.directives);
      // An untagged type/field allows only the default mode.
      return new Set(onType.length ? onType : [defaultMode]);
    },
    subscriptionsFor: (mutationField) => triggers.get(mutationField) ?? [],
  };
}
