/** Odoo's value formats, and the paging of id lists, shared by the adapter and its Documents part. */

/** Odoo's 'YYYY-MM-DD HH:MM:SS' (UTC) as ISO 8601. */
export function odooDateToIso(value: unknown): string {
  if (typeof value !== 'string' || !value) return new Date(0).toISOString();
  return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
}

/** ISO 8601 as Odoo's datetime format, for domain values. */
export function isoToOdooDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

/** `items` in lists of at most `size` (Odoo reads ids by the page). */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
