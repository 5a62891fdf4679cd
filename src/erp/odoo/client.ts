/**
 * A small typed client for Odoo's external API, on `fetch`: JSON-RPC (`POST /jsonrpc`,
 * services `common` and `object`) for Odoo 14-18, JSON-2 (`POST /json/2/<model>/<method>`
 * with a bearer API key) for 19 and later, chosen by version detection. The npm Odoo
 * clients are XML-RPC only, untyped and unmaintained; this is the part of the protocol the
 * service needs, written from Odoo's documentation and held to recorded Odoo 17 exchanges
 * (test/fixtures/odoo).
 *
 * Odoo answers RPC errors with HTTP 200 and `error.data.name` (the Python exception); they
 * become an `OdooError` with a kind the service can act on, and Odoo's own message.
 * Timeouts use AbortController; 502, 503, 504, network errors and Odoo's concurrent-update
 * errors are retried with back-off; nothing else is.
 */

export type OdooErrorKind =
  /** Wrong login, password or API key (AccessDenied): stop, non-retryable. */
  | 'access_denied'
  /** The user lacks the rights for this model or record (AccessError). */
  | 'access_error'
  /** Odoo refused the operation for a business reason (UserError, ValidationError). */
  | 'user_error'
  /** The record does not exist or was deleted (MissingError). */
  | 'missing_record'
  /** The request itself is wrong: unknown field or model, bad domain, bad method. */
  | 'bad_request'
  /** The database does not exist, or the URL is not an Odoo. */
  | 'configuration'
  /** Two transactions touched the same rows: retried. */
  | 'concurrent_update'
  /** Odoo or its proxy is down, overloaded or slow: retried. */
  | 'unavailable';

export class OdooError extends Error {
  constructor(
    readonly kind: OdooErrorKind,
    message: string,
    /** Odoo's exception name (`odoo.exceptions.AccessError`), when Odoo sent one. */
    readonly odooName: string | null = null,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
    this.name = 'OdooError';
  }

  get retryable(): boolean {
    return this.kind === 'concurrent_update' || this.kind === 'unavailable';
  }
}

export interface OdooSettings {
  /** The Odoo's base URL, e.g. https://erp.example.com (no trailing /jsonrpc). */
  url: string;
  database: string;
  username: string;
  /** An API key (Preferences -> Account Security), or the password on old servers. */
  apiKey: string;
  timeoutMs?: number;
  /** Retries of retryable failures (default 3). */
  retries?: number;
  fetch?: typeof fetch;
}

export interface OdooVersion {
  major: number;
  serverVersion: string;
  /** JSON-RPC for 14-18, JSON-2 from 19 on. */
  protocol: 'jsonrpc' | 'json2';
}

interface RpcEnvelope {
  result?: unknown;
  error?: { code?: number; message?: string; data?: { name?: string; message?: string; arguments?: unknown[] } };
}

/** Maps Odoo's exception name (and message) to what the service does about it. */
export function classifyOdooError(name: string | undefined, message: string): OdooErrorKind {
  const n = name ?? '';
  if (/AccessDenied$|werkzeug\.exceptions\.Unauthorized$/.test(n)) return 'access_denied';
  if (/AccessError$/.test(n)) return 'access_error';
  if (/MissingError$/.test(n)) return 'missing_record';
  if (/(UserError|ValidationError|RedirectWarning|Warning)$/.test(n)) {
    // Odoo answers a model that does not exist with a UserError ("Object x.y doesn't exist").
    return /^Object \S+ doesn't exist/.test(message) ? 'bad_request' : 'user_error';
  }
  if (/SerializationFailure|TransactionRollbackError|ConcurrencyError|LockNotAvailable/.test(n) || /could not serialize access|concurrent update/i.test(message)) return 'concurrent_update';
  if (/OperationalError$/.test(n) && /database .* does not exist/i.test(message)) return 'configuration';
  if (/OperationalError$|InterfaceError$/.test(n)) return 'unavailable';
  if (/SessionExpiredException$/.test(n)) return 'access_denied';
  return 'bad_request';
}

const DEFAULT_TIMEOUT_MS = 60_000;
const RETRY_STATUSES = new Set([502, 503, 504]);

export class OdooClient {
  private readonly base: URL;
  private readonly fetchImpl: typeof fetch;
  private uid: number | null = null;
  private detected: OdooVersion | null = null;
  private nextId = 1;

  constructor(private readonly settings: OdooSettings) {
    let base: URL;
    try {
      base = new URL(settings.url.replace(/\/+$/, '') + '/');
    } catch {
      throw new OdooError('configuration', `${JSON.stringify(settings.url)} is not a URL`);
    }
    if (!/^https?:$/.test(base.protocol)) throw new OdooError('configuration', `The Odoo URL must be http(s), got ${base.protocol}`);
    this.base = base;
    this.fetchImpl = settings.fetch ?? fetch;
  }

  /** The server's version and the protocol to use with it (cached after the first call). */
  async version(): Promise<OdooVersion> {
    if (this.detected) return this.detected;
    // Odoo 19+ answers GET /web/version with JSON; older servers answer 404 there.
    const web = await this.http('GET', 'web/version').catch((err: unknown) => {
      if (err instanceof OdooError && err.httpStatus === 404) return null;
      throw err;
    });
    if (web && typeof web === 'object' && 'version_info' in web) {
      const info = (web as { version_info: unknown[]; version?: string }).version_info;
      const major = Number(info[0]);
      this.detected = { major, serverVersion: String((web as { version?: string }).version ?? major), protocol: major >= 19 ? 'json2' : 'jsonrpc' };
      return this.detected;
    }
    const v = await this.jsonRpc('common', 'version', []) as { server_version?: string; server_version_info?: unknown[] };
    const major = Number(v?.server_version_info?.[0]);
    if (!Number.isFinite(major)) throw new OdooError('configuration', 'The server answered common.version without a server_version_info: is this an Odoo?');
    this.detected = { major, serverVersion: String(v.server_version), protocol: major >= 19 ? 'json2' : 'jsonrpc' };
    return this.detected;
  }

  /** Logs in (JSON-RPC): the user id, or an `access_denied` error saying which part is wrong. */
  async authenticate(): Promise<number> {
    if (this.uid !== null) return this.uid;
    const uid = await this.jsonRpc('common', 'authenticate', [this.settings.database, this.settings.username, this.settings.apiKey, {}]);
    if (typeof uid !== 'number' || uid <= 0) {
      throw new OdooError('access_denied', `Odoo refused the login of ${JSON.stringify(this.settings.username)} on database ${JSON.stringify(this.settings.database)}: wrong login or API key`);
    }
    this.uid = uid;
    return uid;
  }

  /**
   * Calls `model.method` on records `ids` (or on the model when omitted) with named
   * arguments, the form both protocols share: `execute_kw(db, uid, key, model, method,
   * [ids], kwargs)` on JSON-RPC, `POST /json/2/<model>/<method> {ids, ...kwargs}` on JSON-2.
   */
  async call<T = unknown>(model: string, method: string, opts: { ids?: number[]; kwargs?: Record<string, unknown>; args?: unknown[] } = {}): Promise<T> {
    const { protocol } = await this.version();
    if (protocol === 'json2') {
      // JSON-2 takes named arguments only: a positional one would be dropped, silently widening a search.
      if (opts.args?.length) throw new OdooError('bad_request', `${model}.${method}: JSON-2 (Odoo 19+) takes named arguments only; pass kwargs`);
      const body = { ...(opts.ids ? { ids: opts.ids } : {}), ...opts.kwargs };
      return await this.http('POST', `json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`, body, {
        authorization: `bearer ${this.settings.apiKey}`, 'x-odoo-database': this.settings.database,
      }) as T;
    }
    const uid = await this.authenticate();
    const args = [...(opts.ids ? [opts.ids] : []), ...(opts.args ?? [])];
    return await this.jsonRpc('object', 'execute_kw', [this.settings.database, uid, this.settings.apiKey, model, method, args, opts.kwargs ?? {}]) as T;
  }

  /** One JSON-RPC call, with Odoo's error envelope turned into an OdooError. */
  async jsonRpc(service: string, method: string, args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    const envelope = await this.http('POST', 'jsonrpc', { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }) as RpcEnvelope;
    if (envelope && typeof envelope === 'object' && envelope.error) {
      const name = envelope.error.data?.name;
      const message = envelope.error.data?.message || envelope.error.message || 'Odoo error';
      throw new OdooError(classifyOdooError(name, message), `Odoo: ${message}`, name ?? null, 200);
    }
    if (!envelope || typeof envelope !== 'object' || (envelope as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      throw new OdooError('configuration', `POST /jsonrpc answered without a JSON-RPC envelope: is ${this.base.origin} an Odoo?`);
    }
    // A method that returns None answers an envelope without `result`.
    return envelope.result ?? null;
  }

  /** An HTTP exchange with timeout and retries; JSON in, JSON out. */
  private async http(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const retries = this.settings.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, path, body, headers);
      } catch (err) {
        if (!(err instanceof OdooError) || !err.retryable || attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** attempt)));
      }
    }
  }

  private async once(method: 'GET' | 'POST', path: string, body: unknown, headers: Record<string, string>): Promise<unknown> {
    const url = new URL(path, this.base);
    const controller = new AbortController();
    const timeoutMs = this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method, signal: controller.signal,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      clearTimeout(timer);
      const reason = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message;
      throw new OdooError('unavailable', `${method} ${url.pathname}: ${reason}`);
    }
    try {
      const text = await res.text();
      if (RETRY_STATUSES.has(res.status)) throw new OdooError('unavailable', `${method} ${url.pathname}: Odoo or its proxy answered HTTP ${res.status}`, null, res.status);
      const isJson = /json/i.test(res.headers.get('content-type') ?? '');
      if (!isJson && (res.status === 401 || res.status === 403)) throw new OdooError('access_denied', `${method} ${url.pathname}: HTTP ${res.status}, the API key is wrong or lacks access`, null, res.status);
      if (!isJson && res.status === 404) throw new OdooError('configuration', `${method} ${url.pathname}: HTTP 404 (not this Odoo version's endpoint, or not an Odoo)`, null, 404);
      if (!isJson) {
        throw new OdooError(res.ok ? 'configuration' : 'bad_request', `${method} ${url.pathname}: HTTP ${res.status} with ${res.headers.get('content-type') ?? 'no content type'} instead of JSON`, null, res.status);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new OdooError('configuration', `${method} ${url.pathname}: HTTP ${res.status} with a body that is not JSON`, null, res.status);
      }
      if (!res.ok) {
        // JSON-2 errors: {name, message, arguments, context, debug} with a 4xx/5xx status.
        const e = json as { name?: string; message?: string };
        const kind = res.status === 401 ? 'access_denied'
          : e.name ? classifyOdooError(e.name, e.message ?? '') : res.status === 403 ? 'access_denied' : res.status === 404 ? 'configuration' : 'bad_request';
        throw new OdooError(kind, `Odoo: ${e.message ?? `HTTP ${res.status}`}`, e.name ?? null, res.status);
      }
      return json;
    } finally {
      clearTimeout(timer);
    }
  }
}
