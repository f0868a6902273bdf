import type { FieldNode, SelectionSetNode } from 'graphql';
import type { FaultInjector } from './faults.js';
import { matchesFilters } from './filters.js';
import { collectFields, project, type Fragments } from './graphql.js';
import type { Subscription } from './realtime/connection.js';
import type { ConnectionRegistry } from './realtime/registry.js';
import type { EmulatedSchema } from './schema.js';
import type { StatsRecorder } from './stats.js';

/** What the fan-out needs. */
export interface FanoutDeps {
  schema: EmulatedSchema;
  registry: ConnectionRegistry;
  faults: FaultInjector;
  stats: StatsRecorder;
  maxPayloadBytes: number;
}

/** How long a reordered message waits when no later one releases it. */
const HOLD_MS = 200;

/** Re-keys a mutation result by field names (the subscriber's selection may alias differently). */
function unalias(
  value: unknown,
  selection: SelectionSetNode | undefined,
  fragments: Fragments,
): unknown {
  if (!selection || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => unalias(v, selection, fragments));
  const out: Record<string, unknown> = {};
  for (const field of collectFields(selection, fragments)) {
    out[field.name.value] = unalias(
      (value as Record<string, unknown>)[field.alias?.value ?? field.name.value],
      field.selectionSet,
      fragments,
    );
  }
  return out;
}

/**
 * `@aws_subscribe` delivery: a mutation's result goes to every subscription it triggers
 * whose arguments and enhanced filters match, projected onto that subscription's
 * selection, with the configured faults injected.
 */
export class Fanout {
  constructor(private readonly deps: FanoutDeps) {}

  /** Fans out `value`, the result of `mutationField` as selected in its document. */
  publish(mutationField: FieldNode, value: unknown, mutationFragments: Fragments): void {
    const { schema, registry } = this.deps;
    const triggered = schema.subscriptionsFor(mutationField.name.value);
    if (!triggered.length || value === null || value === undefined) return;
    const response = unalias(value, mutationField.selectionSet, mutationFragments);
    const mutationFields = schema.schema.getMutationType()?.getFields() ?? {};
    const typeName =
      mutationFields[mutationField.name.value]?.type.toString().replace(/[![\]]/g, '') ?? '';
    for (const sub of registry.subscriptions()) {
      if (!triggered.includes(sub.fieldName)) continue;
      const argsMatch = Object.entries(sub.args).every(
        ([name, expected]) =>
          expected === null ||
          expected === undefined ||
          (response as Record<string, unknown>)?.[name] === expected,
      );
      if (!argsMatch || !matchesFilters(sub.filters, response)) continue;
      this.deliver(sub, {
        id: sub.id,
        type: 'data',
        payload: {
          data: { [sub.responseKey]: project(response, sub.selection, typeName, sub.fragments) },
        },
      });
    }
  }

  // Too large: an error for the subscription. Otherwise maybe dropped, duplicated, or held
  // back so it arrives after the next one (reorder).
  private deliver(sub: Subscription, message: Record<string, unknown>): void {
    const { faults, stats, maxPayloadBytes } = this.deps;
    const text = JSON.stringify(message);
    if (Buffer.byteLength(text) > maxPayloadBytes) {
      sub.connection.send({
        type: 'error',
        id: sub.id,
        payload: {
          errors: [
            {
              errorType: 'PayloadTooLargeError',
              message: `Subscription payload exceeds ${maxPayloadBytes} bytes and was not delivered.`,
            },
          ],
        },
      });
      return;
    }
    if (faults.drop()) {
      stats.fault('dropped');
      return;
    }
    if (faults.holdBack(sub.held !== null)) {
      stats.fault('reordered');
      sub.held = text;
      setTimeout(() => {
        if (sub.held === text) {
          sub.held = null;
          sub.connection.sendData(text);
        }
      }, HOLD_MS).unref();
      return;
    }
    sub.connection.sendData(text);
    if (sub.held) {
      const held = sub.held;
      sub.held = null;
      sub.connection.sendData(held);
    }
    if (faults.duplicate()) {
      stats.fault('duplicated');
      sub.connection.sendData(text);
    }
  }
}
