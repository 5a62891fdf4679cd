import { type Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

// CommonJS package: its namespaces come through the default export under ESM.
const { temporal } = proto;
import { SEARCH_ATTRIBUTES } from '../workflows/shared.js';

const TYPE = {
  keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

/**
 * Registers the search attributes the workflows set, so ops can filter runs in the Web UI
 * (`SyncDirection = "direct"`, `SyncOutcome = "failed"`). Idempotent: attributes that
 * already exist are left as they are.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, kind]) => [name, TYPE[kind]])),
    });
  } catch (err) {
    // Two processes starting at once may race here; "already exists" is success.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
}
