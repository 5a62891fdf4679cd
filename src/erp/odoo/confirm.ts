/**
 * "Check the ERP connection" (POST /api/erp/confirm) for an Odoo: reachable, an Odoo, its
 * version (and so the protocol), the login, and the rights the sync needs on attachments.
 * Each failure has its own code, as the cloud's confirm does.
 */
import type { DocumentsShape } from '../../domain/documents.js';
import { toErpError } from './adapter.js';
import { OdooClient, OdooError, type OdooSettings, type OdooVersion } from './client.js';
import { detectDocuments } from './documents.js';

export type ErpConfirmCode = 'erp_unreachable' | 'erp_not_odoo' | 'erp_auth_failed' | 'erp_forbidden' | 'erp_unsupported_version' | 'erp_bad_database';

export class ErpConfirmError extends Error {
  constructor(readonly code: ErpConfirmCode, message: string) {
    super(message);
  }
}

/** The Odoo versions this service speaks to (JSON-RPC 14-18, JSON-2 19 and later). */
export const MIN_ODOO_VERSION = 14;

export async function confirmOdoo(settings: OdooSettings): Promise<OdooVersion & { uid: number | null; documents: DocumentsShape | null }> {
  const client = new OdooClient({ retries: 1, timeoutMs: 20_000, ...settings });
  let version: OdooVersion;
  try {
    version = await client.version();
  } catch (err) {
    throw asConfirmError(err, settings);
  }
  if (version.major < MIN_ODOO_VERSION) {
    throw new ErpConfirmError('erp_unsupported_version', `Odoo ${version.serverVersion} is older than ${MIN_ODOO_VERSION}.0, the oldest this service supports`);
  }
  let uid: number | null = null;
  try {
    if (version.protocol === 'jsonrpc') uid = await client.authenticate();
    // Reading attachments is what every sync starts with: a user without it cannot sync.
    await client.call('ir.attachment', 'search_count', { kwargs: { domain: [['id', '=', 0]] } });
  } catch (err) {
    throw asConfirmError(err, settings);
  }
  // Enterprise Documents: mirrored under "Odoo Docs" when the Odoo has the app (no sync model to set up).
  let documents: DocumentsShape | null;
  try {
    documents = await detectDocuments(<T>(model: string, method: string, opts: Parameters<OdooClient['call']>[2]) => client.call<T>(model, method, opts).catch((err: unknown) => { throw toErpError(err); }));
  } catch (err) {
    throw asConfirmError((err as { cause?: unknown }).cause ?? err, settings);
  }
  return { ...version, uid, documents };
}

function asConfirmError(err: unknown, s: OdooSettings): ErpConfirmError {
  if (!(err instanceof OdooError)) return new ErpConfirmError('erp_unreachable', `Could not reach ${s.url}: ${(err as Error).message}`);
  switch (err.kind) {
    case 'unavailable': return new ErpConfirmError('erp_unreachable', `Could not reach the Odoo at ${s.url}: ${err.message}`);
    case 'access_denied': return new ErpConfirmError('erp_auth_failed', `Odoo refused the login of ${JSON.stringify(s.username)} on database ${JSON.stringify(s.database)}: check the login and the API key (Preferences -> Account Security -> New API Key)`);
    case 'access_error': return new ErpConfirmError('erp_forbidden', `The Odoo user ${JSON.stringify(s.username)} may not read attachments: ${err.message}`);
    case 'configuration':
      return /database/i.test(err.message)
        ? new ErpConfirmError('erp_bad_database', `The Odoo has no database ${JSON.stringify(s.database)}: ${err.message}`)
        : new ErpConfirmError('erp_not_odoo', `${s.url} does not answer like an Odoo: ${err.message}`);
    default: return new ErpConfirmError('erp_not_odoo', `${s.url} answered the check unexpectedly: ${err.message}`);
  }
}
