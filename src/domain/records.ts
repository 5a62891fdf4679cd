import type { ErpRecord } from './types.js';

/**
 * Reads a field of a record the way a domain or a name expression names it: `id`,
 * `name` / `display_name`, `write_date`, any stored field, dotted paths into related
 * records (`partner_id.name`).
 */
export function recordReader(record: ErpRecord) {
  return (path: string): unknown => {
    const [head, ...rest] = path.split('.');
    let value: unknown;
    if (head === 'id') value = record.id;
    else if (head === 'name' && !('name' in record.fields)) value = record.displayName;
    else if (head === 'display_name') value = record.displayName;
    else if (head === 'write_date') value = record.writeDate;
    else value = record.fields[head!];
    for (const key of rest) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    return value;
  };
}
