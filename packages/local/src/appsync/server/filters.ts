/**
 * AppSync enhanced subscription filters: `{filterGroup: [{filters: [...]}]}` — groups
 * are OR-ed, filters inside a group AND-ed — evaluated against a mutation's response.
 */
export interface SubscriptionFilter {
  filterGroup: Array<{ filters: Array<{ fieldName: string; operator: string; value: unknown }> }>;
}

function get(obj: unknown, path: string): unknown {
  let value: unknown = obj;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function compare(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return null;
}

function test(actual: unknown, operator: string, expected: unknown): boolean {
  switch (operator) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'lt':
      return (compare(actual, expected) ?? 0) < 0 && compare(actual, expected) !== null;
    case 'le':
      return compare(actual, expected) !== null && compare(actual, expected)! <= 0;
    case 'gt':
      return compare(actual, expected) !== null && compare(actual, expected)! > 0;
    case 'ge':
      return compare(actual, expected) !== null && compare(actual, expected)! >= 0;
    case 'in':
      return Array.isArray(expected) && expected.includes(actual);
    case 'notIn':
      return Array.isArray(expected) && !expected.includes(actual);
    case 'contains':
      return Array.isArray(actual)
        ? actual.includes(expected)
        : typeof actual === 'string' && actual.includes(String(expected));
    case 'notContains':
      return Array.isArray(actual)
        ? !actual.includes(expected)
        : typeof actual === 'string' && !actual.includes(String(expected));
    case 'beginsWith':
      return (
        typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected)
      );
    case 'between':
      return (
        Array.isArray(expected) &&
        expected.length === 2 &&
        compare(actual, expected[0]) !== null &&
        compare(actual, expected[0])! >= 0 &&
        compare(actual, expected[1])! <= 0
      );
    case 'containsAny':
      return (
        Array.isArray(actual) && Array.isArray(expected) && expected.some((e) => actual.includes(e))
      );
    default:
      return false;
  }
}

/** True when `response` passes every filter set (each set: any group matches). */
export function matchesFilters(filters: unknown[], response: unknown): boolean {
  return filters.every((filter) => {
    const groups = (filter as SubscriptionFilter).filterGroup ?? [];
    if (groups.length === 0) return true;
    return groups.some((group) =>
      group.filters.every((f) => test(get(response, f.fieldName), f.operator, f.value)),
    );
  });
}
