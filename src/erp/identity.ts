/**
 * Which ERP a record or attachment id belongs to, as one string: `builtin`, or
 * `odoo:<host><path>/<database>`. Spellings of one Odoo address (http or https, the host's
 * case, a default port, a trailing slash) give the same string; another host, port, path
 * or database does not. The mapping remembers the one its ids came from
 * (`settings.mapping_erp`), and no sync or switch mixes two.
 */
export function erpIdentity(odoo: { url: string; database: string } | null | undefined): string {
  if (!odoo) return 'builtin';
  let where = odoo.url;
  try {
    const u = new URL(odoo.url);
    where = `${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    // Saved URLs are validated; a broken one is its own identity.
  }
  return `odoo:${where}/${odoo.database}`;
}

/** The identity in words, for messages. */
export function describeErp(identity: string): string {
  if (identity === 'builtin') return 'the builtin store';
  const at = identity.slice('odoo:'.length);
  const slash = at.lastIndexOf('/');
  return `the Odoo at ${at.slice(0, slash)} (database ${at.slice(slash + 1)})`;
}
