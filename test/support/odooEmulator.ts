/**
 * An Odoo protocol emulator for tests: an in-process node:http server answering the parts
 * of Odoo's external API the sync uses, backed by in-memory tables. Written from Odoo's
 * documented behaviour and source, and held to the real Odoo 17 exchanges recorded in
 * test/fixtures/odoo (test/integration/odooEmulator.test.ts replays every one of them and
 * lists by name the few it cannot match).
 *
 *   const odoo = await startOdooEmulator({ version: 17, database: 'odootest', users: [...] });
 *   new OdooClient({ url: odoo.url, ... });   odoo.state.rows('ir.attachment');   await odoo.close();
 *
 * What it serves:
 * - `POST /jsonrpc`: services `common` (version, authenticate, login), `db` (list,
 *   db_exist, server_version), `object` (execute_kw, execute), with Odoo's envelopes,
 *   error envelopes (`error.data.name` is the Python exception) and HTTP-level 400s.
 * - Models `res.partner`, `sale.order`, `ir.attachment`, `res.users`, and the small
 *   reference models their many2one fields point to (`res.country`, `res.country.state`,
 *   `res.company`, `res.currency`). Methods: search, search_read, search_count, read,
 *   create, write, unlink, exists, fields_get, name_search, name_get (16 and 17),
 *   ir.attachment.generate_access_token, message_post (res.partner, sale.order),
 *   res.users.context_get.
 * - `GET|HEAD /web/content/<id>[/<filename>]` and `/web/content?model=ir.attachment&id=..`
 *   with an access token or a session cookie; `POST /web/session/authenticate`,
 *   `/web/dataset/call_kw`, `/web/webclient/version_info`, `/web/database/list`,
 *   `GET /web/health`, `GET /web/login`.
 * - Version 19 only: `GET /web/version` and JSON-2 (`POST /json/2/<model>/<method>`,
 *   bearer API key); /jsonrpc keeps working there. Before 19 both answer 404.
 *
 * What it simplifies (keep these in mind when a test passes here and fails on a real Odoo):
 * - No SQL, no transactions, no concurrency: every call applies at once; there is no
 *   rollback of a half-done multi-record write, no serialization failure, no lock.
 * - Access control is three roles, not groups, ACLs and record rules: an admin sees and
 *   does everything; an internal user cannot write other users; a portal user (`portal:
 *   true`) cannot touch ir.attachment, cannot write res.partner, and only sees the sale
 *   orders of its own commercial partner. Attachments are not filtered by the access to
 *   the record they belong to.
 * - Fields are the ones listed in MODELS, the same on every version (Odoo 18/19 added and
 *   removed some, e.g. `mobile`). Computed fields are computed on read; stored computed
 *   fields (complete_name, commercial_partner_id) are recomputed after every partner write.
 *   No onchanges, no defaults beyond the few written here, no x2many commands.
 * - Domains are evaluated in memory by src/domain/domains.ts after the emulator has
 *   checked them (Odoo's error messages) and rewritten what Odoo rewrites: datetime
 *   values in any accepted spelling, many2one fields compared to names, `=?`, TRUE/FALSE
 *   leaves, `active_test`, the implicit `res_field = False` of ir.attachment. `child_of`,
 *   `parent_of`, `any` and `not any` are refused with a NotImplementedError. A leaf on a
 *   non-searchable field (display_name before 18, as recorded on 17) is ignored, as Odoo
 *   does; from 18 on display_name searches the record name (a guess from Odoo's source).
 *   Strings sort with Intl.Collator('en'), close to PostgreSQL's en_US collation.
 * - Datetimes are kept with microseconds (like PostgreSQL) and read back truncated to the
 *   second; "now" is the `now` option (the replay test sets it to the recorded Date).
 * - Binaries live in memory; `store_fname` is Odoo's `<sha1[:2]>/<sha1>` name but there
 *   is no filestore and no garbage collection. Last-Modified is when the content was set.
 * - Mimetypes are guessed from a small table of extensions (Python's mimetypes has more).
 * - JSON-2 follows Odoo 19's documentation and addons/rpc/controllers/json2.py; statuses
 *   come from the exceptions' `http_status` (UserError 422, AccessError/AccessDenied 403,
 *   MissingError 404, others 500, werkzeug's 401/404/422). Not recorded: guessed where the
 *   source was not at hand (the X-Odoo-Database mismatch, the 400 for a non-JSON body).
 * - Guesses beyond the recordings, each from Odoo's source or the issue's brief: on 19 the
 *   JSON-RPC error code is 0 (200 before, as recorded) and the 400 for a wrong content type
 *   says type='jsonrpc'; on 19 `datas: false` in an ir.attachment write is dropped (the
 *   brief); name_get and the `__last_update` field are gone from 18 and 17 on; portal
 *   ACL messages other than the recorded ones; a url-type attachment that kept its binary
 *   is served (Stream.from_attachment looks at store_fname first), not redirected.
 * - XML-RPC is not emulated (POST /xmlrpc/* answers 501 and says so); neither are
 *   mail.message, res.users.apikeys or any other model.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateDomain, parseDomain } from '../../src/domain/domains.js';
import type { DomainTerm } from '../../src/domain/types.js';

export type OdooVersion = 16 | 17 | 18 | 19;

export interface EmulatorUser {
  login: string;
  password: string;
  /** An API key: accepted wherever the password is over JSON-RPC, and as the bearer of JSON-2. */
  apiKey?: string;
  uid: number;
  partnerId: number;
  isAdmin: boolean;
  /** A portal (share) user: no ir.attachment, no partner writes, only its own sale orders. */
  portal?: boolean;
  /** Name of the user's partner when the emulator has to create it. */
  name?: string;
}

export interface EmulatorOptions {
  version: OdooVersion;
  database: string;
  users: EmulatorUser[];
  /**
   * `recorded` (default): the 40 partners, 20 sale orders and users of the recorded Odoo 17
   * demo database (test/fixtures/odoo), attachments numbered from 774 like there.
   * `none`: only the company, its currency, two countries and the users' partners.
   */
  seed?: 'recorded' | 'none';
  /** The clock: create_date, write_date and defaults use it (default: the real time). */
  now?: () => Date;
  /** What the emulator calls itself in web.base.url (default: its own URL). */
  baseUrl?: string;
  /**
   * The Enterprise Documents app installed (default: not): documents.folder and
   * documents.document on 16/17, folders as documents of type `folder` from 18 on.
   */
  documents?: boolean;
}

export interface OdooEmulator {
  url: string;
  state: EmulatorState;
  close(): Promise<void>;
}

type Row = Record<string, unknown> & { id: number };
type Ctx = Record<string, unknown>;
type FieldType = 'integer' | 'char' | 'text' | 'boolean' | 'many2one' | 'one2many' | 'many2one_reference' | 'selection'
  | 'datetime' | 'date' | 'binary' | 'float' | 'monetary';

interface Field {
  type: FieldType;
  string: string;
  relation?: string;
  /** one2many: the many2one field of the comodel pointing back. */
  inverse?: string;
  required?: boolean;
  readonly?: boolean;
  store?: boolean;
  selection?: [string, string][];
  /** Non-stored fields: searchable only when Odoo gives them a search (related fields do). */
  searchable?: boolean | ((version: OdooVersion) => boolean);
  sortable?: boolean;
  /** Storage-form value of a computed field (many2one as an id, one2many as ids). */
  compute?: (env: Env, row: Row) => unknown;
}

interface ModelSpec {
  name: string;
  description: string;
  order: string;
  fields: Record<string, Field>;
  /** Fields name_search and (from 18 on) a display_name leaf search. */
  recNames: string[];
  displayName: (env: Env, row: Row) => string;
  /** write() on a missing id: MissingError (res.partner, recorded) or silently true (ir.attachment, recorded). */
  writeMissingIsError: boolean;
  mailThread?: boolean;
  defaults?: (env: Env) => Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------
// Errors: Python exceptions, serialized like odoo.http.serialize_exception
// ---------------------------------------------------------------------------------------

export class OdooFault extends Error {
  constructor(
    readonly pyName: string,
    message: string,
    /** The HTTP status JSON-2 answers with (the exception's http_status). */
    readonly httpStatus = 500,
    readonly args: unknown[] = [message],
  ) {
    super(message);
  }

  serialize(version: OdooVersion, context: Ctx = {}): Record<string, unknown> {
    return {
      name: this.pyName,
      debug: `Traceback (most recent call last):\n  File "test/support/odooEmulator.ts", in the emulated Odoo ${version}.0\n${this.pyName}: ${this.message}\n`,
      message: this.message,
      arguments: this.args,
      context,
    };
  }
}

const userError = (m: string) => new OdooFault('odoo.exceptions.UserError', m, 422);
const validationError = (m: string) => new OdooFault('odoo.exceptions.ValidationError', m, 422);
const accessError = (m: string) => new OdooFault('odoo.exceptions.AccessError', m, 403);
const accessDenied = (m = 'Access Denied') => new OdooFault('odoo.exceptions.AccessDenied', m, 403);
const missingError = (m: string) => new OdooFault('odoo.exceptions.MissingError', m, 404);
const valueError = (m: string) => new OdooFault('builtins.ValueError', m);
const typeError = (m: string) => new OdooFault('builtins.TypeError', m);
const attributeError = (m: string) => new OdooFault('builtins.AttributeError', m);
const notImplemented = (m: string) => new OdooFault('builtins.NotImplementedError', m);
const werkzeug = (status: number, cls: string, m: string) => new OdooFault(`werkzeug.exceptions.${cls}`, m, status, [m, status]);

/** Python's repr() of a JSON value, as Odoo's messages print leaves and values. */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    return q + v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(new RegExp(q, 'g'), `\\${q}`) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}
const leafRepr = (leaf: unknown[]) => `(${leaf.map(pyRepr).join(', ')}${leaf.length === 1 ? ',' : ''})`;
/** A recordset's repr: `res.partner(1, 2)`, `ir.attachment(775,)`. */
const recordsetRepr = (model: string, ids: number[]) => `${model}(${ids.join(', ')}${ids.length === 1 ? ',' : ''})`;
const missingRecords = (model: string, ids: number[], uid: number) =>
  missingError(`Record does not exist or has been deleted.\n(Record: ${recordsetRepr(model, ids)}, User: ${uid})`);
/** Python's "missing N required positional arguments: 'a', 'b', and 'c'". */
function pyMissing(fn: string, names: string[]): OdooFault {
  const q = names.map((n) => `'${n}'`);
  const list = q.length <= 2 ? q.join(' and ') : `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
  return typeError(`${fn}() missing ${names.length} required positional argument${names.length > 1 ? 's' : ''}: ${list}`);
}

// ---------------------------------------------------------------------------------------
// Values: datetimes, mimetypes, sizes
// ---------------------------------------------------------------------------------------

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Storage form of a datetime: 'YYYY-MM-DD HH:MM:SS.ffffff', UTC, like PostgreSQL keeps it. */
function storeDatetime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
}
/**
 * A datetime as Odoo accepts it in a domain ('YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]', with a
 * 'T', a 'Z' or an offset, or a date alone), in storage form; null when it is none of those.
 */
function normalizeDatetime(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const micro = frac.padEnd(6, '0');
  if (!zone || zone === 'Z' || /^[+-]00:?00$/.test(zone)) return `${y}-${mo}-${d} ${h}:${mi}:${s}.${micro}`;
  const sign = zone[0] === '-' ? -1 : 1;
  const [zh, zm] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - sign * (zh * 60 + zm) * 60_000;
  return storeDatetime(new Date(t)).slice(0, 20) + micro;
}
const readDatetime = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 19) : false);

const MIMETYPES: Record<string, string> = {
  txt: 'text/plain', csv: 'text/csv', html: 'text/html', htm: 'text/html', xml: 'text/xml', json: 'application/json',
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml',
  webp: 'image/webp', zip: 'application/zip', gz: 'application/gzip', doc: 'application/msword', md: 'text/markdown',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', xls: 'application/vnd.ms-excel',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  mp4: 'video/mp4', mp3: 'audio/mpeg', eml: 'message/rfc822', ics: 'text/calendar',
};
const guessByName = (name: unknown) => {
  if (typeof name !== 'string') return null;
  const ext = /\.([A-Za-z0-9]+)$/.exec(name.split('?')[0] ?? '')?.[1]?.toLowerCase();
  return (ext && MIMETYPES[ext]) || null;
};
/** Odoo's guess_mimetype on content, for the few magic numbers that matter here. */
function guessByContent(raw: Buffer): string | null {
  if (raw.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (raw.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (raw[0] === 0xff && raw[1] === 0xd8) return 'image/jpeg';
  if (raw.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  return null;
}
/** ir.attachment._compute_mimetype: explicit, else from the name, the url, the content. */
function computeMimetype(vals: Record<string, unknown>, raw: Buffer | null): string {
  let mimetype = typeof vals.mimetype === 'string' && vals.mimetype ? vals.mimetype : null;
  if (!mimetype && vals.name) mimetype = guessByName(vals.name);
  if (!mimetype && vals.url) mimetype = guessByName(vals.url);
  if ((!mimetype || mimetype === 'application/octet-stream') && raw && raw.length) mimetype = guessByContent(raw) ?? mimetype;
  return mimetype || 'application/octet-stream';
}
/** odoo.tools.human_size, what a binary field reads as with context bin_size. */
function humanSize(size: number): string | false {
  if (!size) return false;
  const units = ['bytes', 'Kb', 'Mb', 'Gb', 'Tb'];
  let s = size;
  let i = 0;
  while (s >= 1024 && i < units.length - 1) {
    s /= 1024;
    i++;
  }
  return `${s.toFixed(2)} ${units[i]}`;
}
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

// ---------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------

const ID: Field = { type: 'integer', string: 'ID', readonly: true };
const logAccess = (): Record<string, Field> => ({
  create_uid: { type: 'many2one', relation: 'res.users', string: 'Created by', readonly: true },
  create_date: { type: 'datetime', string: 'Created on', readonly: true },
  write_uid: { type: 'many2one', relation: 'res.users', string: 'Last Updated by', readonly: true },
  write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
});
const displayNameField = (model: string): Field => ({
  type: 'char', string: 'Display Name', readonly: true, store: false, searchable: (v) => v >= 18,
  compute: (env, row) => env.state.models[model]!.displayName(env, row),
});

function partnerDisplayName(env: Env, row: Row): string {
  const name = String(row.complete_name || row.name || '');
  if (!env.ctx.show_address) return name;
  const state = env.state.get('res.country.state', row.state_id as number);
  const country = env.state.get('res.country', row.country_id as number);
  const cityLine = [row.city, state?.code, row.zip].filter(Boolean).join(' ');
  return [name, row.street, row.street2, cityLine, country?.name].filter(Boolean).join('\n');
}

const MODELS: Record<string, ModelSpec> = {
  'res.partner': {
    name: 'res.partner', description: 'Contact', order: 'complete_name ASC, id DESC', recNames: ['complete_name', 'email'],
    writeMissingIsError: true, mailThread: true,
    displayName: partnerDisplayName,
    defaults: () => ({ active: true, type: 'contact', is_company: false }),
    fields: {
      name: { type: 'char', string: 'Name' },
      complete_name: { type: 'char', string: 'Complete Name', readonly: true },
      parent_id: { type: 'many2one', relation: 'res.partner', string: 'Related Company' },
      child_ids: { type: 'one2many', relation: 'res.partner', inverse: 'parent_id', string: 'Contact' },
      commercial_partner_id: { type: 'many2one', relation: 'res.partner', string: 'Commercial Entity', readonly: true },
      company_name: { type: 'char', string: 'Company Name' },
      user_id: { type: 'many2one', relation: 'res.users', string: 'Salesperson' },
      active: { type: 'boolean', string: 'Active' },
      type: { type: 'selection', string: 'Address Type', selection: [['contact', 'Contact'], ['invoice', 'Invoice Address'], ['delivery', 'Delivery Address'], ['other', 'Other Address']] },
      street: { type: 'char', string: 'Street' },
      street2: { type: 'char', string: 'Street2' },
      zip: { type: 'char', string: 'Zip' },
      city: { type: 'char', string: 'City' },
      state_id: { type: 'many2one', relation: 'res.country.state', string: 'State' },
      country_id: { type: 'many2one', relation: 'res.country', string: 'Country' },
      country_code: {
        type: 'char', string: 'Country Code', readonly: true, store: false, searchable: true, sortable: false,
        compute: (env, row) => env.state.get('res.country', row.country_id as number)?.code ?? false,
      },
      email: { type: 'char', string: 'Email' },
      phone: { type: 'char', string: 'Phone' },
      mobile: { type: 'char', string: 'Mobile' },
      is_company: { type: 'boolean', string: 'Is a Company' },
      company_id: { type: 'many2one', relation: 'res.company', string: 'Company' },
      id: ID,
      display_name: displayNameField('res.partner'),
      ...logAccess(),
    },
  },
  'sale.order': {
    name: 'sale.order', description: 'Sales Order', order: 'date_order desc, id desc', recNames: ['name'],
    writeMissingIsError: true, mailThread: true,
    displayName: (_env, row) => String(row.name ?? ''),
    defaults: (env) => ({
      state: 'draft', date_order: storeDatetime(env.now()), currency_id: 1, company_id: 1, user_id: env.uid,
      amount_total: 0, amount_untaxed: 0, order_line: [], validity_date: false, commitment_date: false,
    }),
    fields: {
      name: { type: 'char', string: 'Order Reference', required: true },
      state: { type: 'selection', string: 'Status', readonly: true, selection: [['draft', 'Quotation'], ['sent', 'Quotation Sent'], ['sale', 'Sales Order'], ['cancel', 'Cancelled']] },
      date_order: { type: 'datetime', string: 'Order Date', required: true },
      validity_date: { type: 'date', string: 'Expiration' },
      commitment_date: { type: 'datetime', string: 'Delivery Date' },
      partner_id: { type: 'many2one', relation: 'res.partner', string: 'Customer', required: true },
      user_id: { type: 'many2one', relation: 'res.users', string: 'Salesperson' },
      currency_id: { type: 'many2one', relation: 'res.currency', string: 'Currency', readonly: true },
      amount_untaxed: { type: 'monetary', string: 'Untaxed Amount', readonly: true },
      amount_total: { type: 'monetary', string: 'Total', readonly: true },
      // The lines are not emulated: their ids only.
      order_line: { type: 'one2many', relation: 'sale.order.line', string: 'Order Lines' },
      company_id: { type: 'many2one', relation: 'res.company', string: 'Company', required: true },
      id: ID,
      display_name: displayNameField('sale.order'),
      ...logAccess(),
    },
  },
  'ir.attachment': {
    name: 'ir.attachment', description: 'Attachment', order: 'id desc', recNames: ['name'],
    writeMissingIsError: false,
    displayName: (_env, row) => String(row.name ?? ''),
    defaults: () => ({ type: 'binary', company_id: 1, public: false, file_size: 0, checksum: false, store_fname: false, res_field: false, res_model: false, res_id: false }),
    fields: {
      name: { type: 'char', string: 'Name', required: true },
      description: { type: 'text', string: 'Description' },
      res_name: {
        type: 'char', string: 'Resource Name', readonly: true, store: false,
        compute: (env, row) => {
          const spec = typeof row.res_model === 'string' ? env.state.models[row.res_model] : undefined;
          const target = spec && typeof row.res_id === 'number' ? env.state.get(spec.name, row.res_id) : undefined;
          return spec && target ? spec.displayName(env, target) : false;
        },
      },
      res_model: { type: 'char', string: 'Resource Model', readonly: true },
      res_field: { type: 'char', string: 'Resource Field', readonly: true },
      res_id: { type: 'many2one_reference', string: 'Resource ID', readonly: true },
      company_id: { type: 'many2one', relation: 'res.company', string: 'Company' },
      type: { type: 'selection', string: 'Type', required: true, selection: [['url', 'URL'], ['binary', 'File']] },
      url: { type: 'char', string: 'Url' },
      public: { type: 'boolean', string: 'Is public document' },
      access_token: { type: 'char', string: 'Access Token' },
      raw: { type: 'binary', string: 'File Content (raw)', store: false, compute: (env, row) => env.readBinary(row, 'raw') },
      datas: { type: 'binary', string: 'File Content (base64)', store: false, compute: (env, row) => env.readBinary(row, 'datas') },
      // The emulator keeps every binary "in the filestore": db_datas stays empty.
      db_datas: { type: 'binary', string: 'Database Data', compute: () => false },
      store_fname: { type: 'char', string: 'Stored Filename' },
      file_size: { type: 'integer', string: 'File Size', readonly: true },
      checksum: { type: 'char', string: 'Checksum/SHA1', readonly: true },
      mimetype: { type: 'char', string: 'Mime Type', readonly: true },
      index_content: { type: 'text', string: 'Indexed Content', readonly: true },
      id: ID,
      display_name: displayNameField('ir.attachment'),
      ...logAccess(),
      voice_ids: { type: 'one2many', relation: 'discuss.voice.metadata', string: 'Voice', compute: () => [] },
      local_url: {
        type: 'char', string: 'Attachment URL', readonly: true, store: false,
        compute: (_env, row) => row.url || `/web/content/${row.id}?unique=${row.checksum || ''}`,
      },
      image_src: {
        type: 'char', string: 'Image Src', readonly: true, store: false,
        compute: (_env, row) => (String(row.mimetype ?? '').startsWith('image/') ? `/web/image/${row.id}-${String(row.checksum || '').slice(0, 8)}/${row.name}` : false),
      },
      image_width: { type: 'integer', string: 'Image Width', readonly: true, store: false, compute: () => 0 },
      image_height: { type: 'integer', string: 'Image Height', readonly: true, store: false, compute: () => 0 },
      original_id: { type: 'many2one', relation: 'ir.attachment', string: 'Original (unoptimized, unresized) attachment' },
    },
  },
  'res.users': {
    name: 'res.users', description: 'User', order: 'name, login', recNames: ['name', 'login'],
    writeMissingIsError: true,
    displayName: (env, row) => String(env.state.get('res.partner', row.partner_id as number)?.name ?? row.login),
    defaults: () => ({ active: true, share: false, company_id: 1 }),
    fields: {
      login: { type: 'char', string: 'Login', required: true },
      name: {
        type: 'char', string: 'Name', store: false, searchable: true,
        compute: (env, row) => env.state.get('res.partner', row.partner_id as number)?.name ?? false,
      },
      partner_id: { type: 'many2one', relation: 'res.partner', string: 'Related Partner', required: true },
      active: { type: 'boolean', string: 'Active' },
      share: { type: 'boolean', string: 'Share User', readonly: true },
      company_id: { type: 'many2one', relation: 'res.company', string: 'Company', required: true },
      id: ID,
      display_name: displayNameField('res.users'),
      ...logAccess(),
    },
  },
  'res.country': {
    name: 'res.country', description: 'Country', order: 'name', recNames: ['name', 'code'], writeMissingIsError: true,
    displayName: (_env, row) => String(row.name ?? ''),
    fields: { name: { type: 'char', string: 'Country Name', required: true }, code: { type: 'char', string: 'Country Code' }, id: ID, display_name: displayNameField('res.country') },
  },
  'res.country.state': {
    name: 'res.country.state', description: 'Country state', order: 'country_id, name', recNames: ['name', 'code'], writeMissingIsError: true,
    displayName: (env, row) => `${row.name} (${env.state.get('res.country', row.country_id as number)?.code ?? ''})`,
    fields: {
      name: { type: 'char', string: 'State Name', required: true }, code: { type: 'char', string: 'State Code', required: true },
      country_id: { type: 'many2one', relation: 'res.country', string: 'Country', required: true }, id: ID, display_name: displayNameField('res.country.state'),
    },
  },
  'res.company': {
    name: 'res.company', description: 'Companies', order: 'sequence, name', recNames: ['name'], writeMissingIsError: true,
    displayName: (_env, row) => String(row.name ?? ''),
    fields: { name: { type: 'char', string: 'Company Name', required: true }, partner_id: { type: 'many2one', relation: 'res.partner', string: 'Partner', required: true }, id: ID, display_name: displayNameField('res.company') },
  },
  'res.currency': {
    name: 'res.currency', description: 'Currency', order: 'active desc, name', recNames: ['name'], writeMissingIsError: true,
    displayName: (_env, row) => String(row.name ?? ''),
    fields: { name: { type: 'char', string: 'Currency', required: true }, id: ID, display_name: displayNameField('res.currency') },
  },
};

// Enterprise Documents (option `documents`). Not recorded (Documents is Odoo Enterprise):
// written from the models' fields as Odoo documents them, and guessed where it says so.
const documentFields = (folderRelation: string, types: [string, string][]): Record<string, Field> => ({
  name: { type: 'char', string: 'Name' },
  folder_id: { type: 'many2one', relation: folderRelation, string: 'Folder' },
  attachment_id: { type: 'many2one', relation: 'ir.attachment', string: 'Attachment' },
  type: { type: 'selection', string: 'Type', selection: types },
  url: { type: 'char', string: 'URL' },
  active: { type: 'boolean', string: 'Active' },
  id: ID,
  display_name: displayNameField('documents.document'),
  ...logAccess(),
});
const DOCUMENTS_17: Record<string, ModelSpec> = {
  'documents.folder': {
    name: 'documents.folder', description: 'Documents Workspace', order: 'sequence, id', recNames: ['name'], writeMissingIsError: true,
    // Guess: Odoo 17 shows a subfolder as "Parent / Child"; the service reads `name` anyway.
    displayName: (env, row) => {
      const parent = env.state.get('documents.folder', row.parent_folder_id as number);
      return parent ? `${env.state.models['documents.folder']!.displayName(env, parent)} / ${row.name}` : String(row.name ?? '');
    },
    defaults: () => ({ active: true, sequence: 10 }),
    fields: {
      name: { type: 'char', string: 'Name', required: true },
      parent_folder_id: { type: 'many2one', relation: 'documents.folder', string: 'Parent Workspace' },
      sequence: { type: 'integer', string: 'Sequence' },
      active: { type: 'boolean', string: 'Active' },
      id: ID,
      display_name: displayNameField('documents.folder'),
      ...logAccess(),
    },
  },
  'documents.document': {
    name: 'documents.document', description: 'Document', order: 'id desc', recNames: ['name'], writeMissingIsError: true,
    displayName: (_env, row) => String(row.name ?? ''),
    defaults: () => ({ active: true, type: 'empty', url: false, attachment_id: false }),
    fields: { ...documentFields('documents.folder', [['url', 'URL'], ['binary', 'File'], ['empty', 'Request']]), folder_id: { type: 'many2one', relation: 'documents.folder', string: 'Workspace', required: true } },
  },
};
/** Odoo 18 on: no documents.folder; a folder is a document of type `folder`, `folder_id` its parent. */
const DOCUMENTS_18: Record<string, ModelSpec> = {
  'documents.document': {
    ...DOCUMENTS_17['documents.document']!,
    fields: documentFields('documents.document', [['url', 'URL'], ['binary', 'File'], ['folder', 'Folder']]),
    defaults: () => ({ active: true, type: 'binary', url: false, attachment_id: false }),
  },
};

/** The models an emulated Odoo has: the base ones, and Documents in the version's shape when installed. */
function modelsFor(version: OdooVersion, documents: boolean): Record<string, ModelSpec> {
  if (!documents) return MODELS;
  return { ...MODELS, ...(version >= 18 ? DOCUMENTS_18 : DOCUMENTS_17) };
}

const VERSIONS: Record<OdooVersion, { serie: string; info: [number, number, number, string, number, string] }> = {
  16: { serie: '16.0', info: [16, 0, 0, 'final', 0, ''] },
  17: { serie: '17.0', info: [17, 0, 0, 'final', 0, ''] },
  18: { serie: '18.0', info: [18, 0, 0, 'final', 0, ''] },
  19: { serie: '19.0', info: [19, 0, 0, 'final', 0, ''] },
};

// ---------------------------------------------------------------------------------------
// State: the tables
// ---------------------------------------------------------------------------------------

interface Blob { data: Buffer; setAt: Date }
interface StoredUser { password: string; apiKey: string | null; isAdmin: boolean; portal: boolean }

/** The emulated database: tables of rows by model, binaries, credentials, sessions. */
export class EmulatorState {
  readonly tables = new Map<string, Map<number, Row>>();
  readonly nextIds = new Map<string, number>();
  /** ir.attachment binaries by attachment id (what the filestore holds). */
  readonly blobs = new Map<number, Blob>();
  readonly credentials = new Map<number, StoredUser>();
  /** Web sessions: session_id cookie value -> uid. */
  readonly sessions = new Map<string, number>();
  /** Every request, as `METHOD /path` plus `service.method` or `model.method` when there is one. */
  readonly requests: string[] = [];
  nextMessageId = 1;

  readonly models: Record<string, ModelSpec>;

  constructor(readonly version: OdooVersion, readonly database: string, public now: () => Date, documents = false) {
    this.models = modelsFor(version, documents);
    for (const model of Object.keys(this.models)) this.tables.set(model, new Map());
  }

  table(model: string): Map<number, Row> {
    const t = this.tables.get(model);
    if (!t) throw new Error(`the emulator has no model ${model}`);
    return t;
  }

  get(model: string, id: number): Row | undefined {
    return typeof id === 'number' ? this.tables.get(model)?.get(id) : undefined;
  }

  /** Rows of a model in id order (a copy of the list, the rows themselves). */
  rows(model: string): Row[] {
    return [...this.table(model).values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Inserts a row as it is, without access checks or Odoo's create logic (for a test's
   * setup); the id is the next one unless given. Datetimes in storage form.
   */
  insert(model: string, vals: Record<string, unknown>): Row {
    const id = typeof vals.id === 'number' ? vals.id : this.takeId(model);
    if (id >= (this.nextIds.get(model) ?? 1)) this.nextIds.set(model, id + 1);
    const stamp = storeDatetime(this.now());
    const row: Row = { create_date: stamp, write_date: stamp, create_uid: 1, write_uid: 1, ...vals, id };
    this.table(model).set(id, row);
    return row;
  }

  /** Changes a row as it is (for a test's setup), without touching write_date unless given. */
  update(model: string, id: number, vals: Record<string, unknown>): Row {
    const row = this.get(model, id);
    if (!row) throw new Error(`${model} ${id} does not exist`);
    Object.assign(row, vals);
    return row;
  }

  takeId(model: string): number {
    const id = this.nextIds.get(model) ?? 1;
    this.nextIds.set(model, id + 1);
    return id;
  }

  /** The binary content of an attachment, or null when it has none. */
  content(attachmentId: number): Buffer | null {
    return this.blobs.get(attachmentId)?.data ?? null;
  }

  /** Sets (or, with an empty buffer, clears) an attachment's binary and its related fields. */
  setContent(row: Row, data: Buffer): void {
    const checksum = sha1(data);
    const mimetype = String(row.mimetype ?? '');
    let index: string | false = mimetype ? mimetype.split('/')[0] ?? false : false;
    if (index === 'text') index = (data.toString('latin1').match(/[\x20-\x7E]{4,}/g) ?? []).join('\n');
    Object.assign(row, { file_size: data.length, checksum, store_fname: data.length ? `${checksum.slice(0, 2)}/${checksum}` : false, index_content: index });
    if (data.length) this.blobs.set(row.id, { data, setAt: this.now() });
    else this.blobs.delete(row.id);
  }
}

// ---------------------------------------------------------------------------------------
// Env: one call's user and context
// ---------------------------------------------------------------------------------------

const collator = new Intl.Collator('en');

class Env {
  constructor(readonly state: EmulatorState, readonly uid: number, readonly ctx: Ctx = {}) {}

  get version(): OdooVersion {
    return this.state.version;
  }

  now(): Date {
    return this.state.now();
  }

  withContext(ctx: Ctx): Env {
    return new Env(this.state, this.uid, { ...this.ctx, ...ctx });
  }

  get user(): StoredUser {
    return this.state.credentials.get(this.uid) ?? { password: '', apiKey: null, isAdmin: this.uid === 1, portal: false };
  }

  userName(): string {
    const row = this.state.get('res.users', this.uid);
    return row ? this.state.models['res.users']!.displayName(this, row) : String(this.uid);
  }

  /** A field's value in storage form (computed fields computed). */
  raw(spec: ModelSpec, row: Row, fname: string): unknown {
    const field = spec.fields[fname];
    if (!field) return undefined;
    if (field.compute) return field.compute(this, row);
    if (field.type === 'one2many') {
      if (!field.inverse) return Array.isArray(row[fname]) ? row[fname] : [];
      const comodel = this.state.models[field.relation!]!;
      const children = [...this.state.table(comodel.name).values()].filter((r) => r[field.inverse!] === row.id && this.visible(comodel, r));
      return this.sortRows(comodel, children, comodel.order).map((r) => r.id);
    }
    const v = row[fname];
    return v === undefined || v === null ? false : v;
  }

  /** What read() returns for a field. */
  readValue(spec: ModelSpec, row: Row, fname: string, load: unknown): unknown {
    const field = spec.fields[fname]!;
    const v = this.raw(spec, row, fname);
    switch (field.type) {
      case 'many2one': {
        if (typeof v !== 'number') return false;
        if (!load) return v;
        const comodel = this.state.models[field.relation!];
        const target = comodel ? this.state.get(comodel.name, v) : undefined;
        return [v, comodel && target ? comodel.displayName(this.withContext({ show_address: false }), target) : ''];
      }
      case 'datetime': return readDatetime(v);
      default: return v === undefined ? false : v;
    }
  }

  readBinary(row: Row, which: 'raw' | 'datas'): unknown {
    const size = Number(row.file_size ?? 0);
    if (this.ctx.bin_size) return humanSize(size);
    const data = this.state.content(row.id);
    if (!data) return false;
    if (which === 'datas') return data.toString('base64');
    // Odoo's JSON serializer decodes bytes as UTF-8: content that is not fails the call.
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      const at = data.findIndex((b) => b >= 0x80);
      throw new OdooFault('builtins.UnicodeDecodeError', `'utf-8' codec can't decode byte 0x${(data[at] ?? 0).toString(16)} in position ${at}: invalid start byte`);
    }
  }

  /** active_test: archived records are hidden unless the context says active_test false. */
  visible(spec: ModelSpec, row: Row): boolean {
    return !('active' in spec.fields) || this.ctx.active_test === false || row.active !== false;
  }

  sortRows(spec: ModelSpec, rows: Row[], order: string): Row[] {
    const terms = parseOrder(spec, order);
    const key = (row: Row, fname: string): unknown => {
      const field = spec.fields[fname]!;
      const v = this.raw(spec, row, fname);
      if (field.type === 'many2one' && typeof v === 'number') {
        const comodel = this.state.models[field.relation!];
        const target = comodel ? this.state.get(comodel.name, v) : undefined;
        return comodel && target ? comodel.displayName(this, target) : v;
      }
      return v;
    };
    return [...rows].sort((a, b) => {
      for (const [fname, desc] of terms) {
        const [x, y] = [key(a, fname), key(b, fname)];
        const xNull = x === false || x === null || x === undefined || x === '';
        const yNull = y === false || y === null || y === undefined || y === '';
        // PostgreSQL: NULLS LAST ascending, NULLS FIRST descending (booleans are not null).
        if (spec.fields[fname]!.type !== 'boolean' && (xNull || yNull)) {
          if (xNull && yNull) continue;
          return (xNull ? 1 : -1) * (desc ? -1 : 1);
        }
        let c: number;
        if (typeof x === 'number' && typeof y === 'number') c = x - y;
        else if (typeof x === 'boolean' || typeof y === 'boolean') c = Number(Boolean(x)) - Number(Boolean(y));
        else c = collator.compare(String(x), String(y));
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    });
  }
}

/** An order spec ("name asc, id desc") as [field, descending] pairs, checked like Odoo does. */
function parseOrder(spec: ModelSpec, order: string): Array<[string, boolean]> {
  const out: Array<[string, boolean]> = [];
  for (const part of order.split(',')) {
    const m = /^\s*([a-z0-9_]+)(?:\s+(asc|desc))?(?:\s+nulls\s+(?:first|last))?\s*$/i.exec(part);
    if (!m) throw valueError(`Invalid "order" specified (${order}). A valid "order" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)`);
    const fname = m[1]!;
    const field = spec.fields[fname];
    if (!field) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(spec.name)}`);
    if (field.store === false || field.type === 'one2many') continue; // Odoo ignores non-sortable fields in order
    out.push([fname, (m[2] ?? 'asc').toLowerCase() === 'desc']);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Domains: checked and rewritten like Odoo, evaluated by src/domain/domains.ts
// ---------------------------------------------------------------------------------------

const ODOO_OPERATORS = new Set(['=', '!=', '<=', '<', '>', '>=', '=?', '=like', '=ilike', 'like', 'not like', 'ilike', 'not ilike', 'in', 'not in', 'child_of', 'parent_of', 'any', 'not any']);
const TRUE_LEAF: DomainTerm = ['id', '!=', false];
const FALSE_LEAF: DomainTerm = ['id', '=', false];

const isSearchable = (field: Field, version: OdooVersion) =>
  field.store !== false || (typeof field.searchable === 'function' ? field.searchable(version) : Boolean(field.searchable));

function prepareDomain(env: Env, spec: ModelSpec, domain: unknown): DomainTerm[] {
  if (domain === null || domain === undefined || domain === false) return [];
  if (!Array.isArray(domain)) throw valueError(`Invalid domain: ${pyRepr(domain)}`);
  const out: DomainTerm[] = [];
  for (const term of domain) {
    if (term === '&' || term === '|' || term === '!') {
      out.push(term);
      continue;
    }
    if (!Array.isArray(term)) throw valueError(`Invalid leaf ${pyRepr(term)}`);
    if (term.length < 3) throw valueError(`not enough values to unpack (expected 3, got ${term.length})`);
    if (term.length > 3) throw valueError('too many values to unpack (expected 3)');
    const [left, rawOp, right] = term as [unknown, unknown, unknown];
    if ((left === 1 || left === 0) && rawOp === '=' && right === 1) {
      out.push(left === 1 ? TRUE_LEAF : FALSE_LEAF);
      continue;
    }
    let op = typeof rawOp === 'string' ? rawOp.toLowerCase() : rawOp;
    if (op === '<>') op = '!=';
    if (op === '==') op = '=';
    if (typeof left !== 'string' || typeof op !== 'string' || !ODOO_OPERATORS.has(op)) throw valueError(`Invalid leaf ${leafRepr(term)}`);
    if (op === 'child_of' || op === 'parent_of' || op === 'any' || op === 'not any') throw notImplemented(`the emulator does not evaluate the operator ${pyRepr(op)} (leaf ${leafRepr(term)})`);
    out.push(...rewriteLeaf(env, spec, left, op, right));
  }
  return out;
}

function rewriteLeaf(env: Env, spec: ModelSpec, path: string, op: string, value: unknown): DomainTerm[] {
  const segments = path.split('.');
  let model = spec;
  let field: Field | undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    field = model.fields[seg];
    if (!field) throw valueError(`Invalid field ${model.name}.${seg} in leaf ${leafRepr([segments.slice(i).join('.'), op, value])}`);
    if (i < segments.length - 1) {
      const comodel = field.relation ? env.state.models[field.relation] : undefined;
      if (!comodel) {
        if (field.relation) throw notImplemented(`the emulator has no model ${field.relation} to follow ${path}`);
        throw valueError(`Invalid field ${model.name}.${seg} in leaf ${leafRepr([segments.slice(i).join('.'), op, value])}`);
      }
      model = comodel;
    }
  }
  if (!field) return [TRUE_LEAF];
  if (!isSearchable(field, env.version)) return [TRUE_LEAF]; // Odoo logs "Non-stored field ... cannot be searched." and ignores it
  if (path.endsWith('display_name') && field.store === false) {
    // From 18 on BaseModel.display_name searches the record name (_search_display_name).
    const prefix = path.slice(0, -'display_name'.length);
    const leaves = model.recNames.map((f) => [`${prefix}${f}`, op, value] as DomainTerm);
    return leaves.length === 1 ? leaves : [...leaves.slice(1).map(() => (op.startsWith('not') || op === '!=' ? '&' : '|') as DomainTerm), ...leaves];
  }
  if (op === '=?') {
    if (value === false || value === null || value === undefined) return [TRUE_LEAF];
    op = '=';
  }
  if ((op === 'in' || op === 'not in') && !Array.isArray(value)) value = [value];
  if (field.type === 'datetime') value = mapValues(value, (v) => (typeof v === 'string' ? normalizeDatetime(v) ?? v : v));
  // A relational field compared to a name: Odoo name-searches the comodel.
  const relational = field.type === 'many2one' || field.type === 'one2many';
  const named = typeof value === 'string' || (Array.isArray(value) && value.some((v) => typeof v === 'string'));
  if (relational && named && env.state.models[field.relation!]) {
    const recName = env.state.models[field.relation!]!.recNames[0]!;
    return [[`${path}.${recName}`, op, value]];
  }
  return [[path, op, value]];
}

const mapValues = (value: unknown, f: (v: unknown) => unknown) => (Array.isArray(value) ? value.map(f) : f(value));

function fieldReader(env: Env, spec: ModelSpec, row: Row) {
  return (path: string): unknown => {
    let current: Array<{ model: ModelSpec; row: Row }> = [{ model: spec, row }];
    const segments = path.split('.');
    let values: unknown[] = [];
    segments.forEach((seg, i) => {
      const last = i === segments.length - 1;
      const next: Array<{ model: ModelSpec; row: Row }> = [];
      values = [];
      for (const { model, row: r } of current) {
        const field = model.fields[seg]!;
        const v = env.raw(model, r, seg);
        if (last) {
          values.push(...(Array.isArray(v) && field.type === 'one2many' ? v : [field.type === 'datetime' && typeof v === 'string' ? normalizeDatetime(v) ?? v : v]));
          continue;
        }
        const comodel = env.state.models[field.relation!]!;
        const ids = Array.isArray(v) ? (v as number[]) : typeof v === 'number' ? [v] : [];
        for (const id of ids) {
          const target = env.state.get(comodel.name, id);
          if (target) next.push({ model: comodel, row: target });
        }
      }
      current = next;
    });
    const field = segments.length === 1 ? spec.fields[path] : undefined;
    if (field && (field.type === 'one2many')) return values;
    return segments.length === 1 ? values[0] : values;
  };
}

// ---------------------------------------------------------------------------------------
// The ORM: search, read, create, write, unlink, and the rest
// ---------------------------------------------------------------------------------------

type Operation = 'read' | 'write' | 'create' | 'unlink';
const OPERATION_WORDS: Record<Operation, string> = { read: 'access', write: 'modify', create: 'create', unlink: 'delete' };

function aclError(spec: ModelSpec, op: Operation, group: string): OdooFault {
  return accessError(`You are not allowed to ${OPERATION_WORDS[op]} '${spec.description}' (${spec.name}) records.\n\nThis operation is allowed for the following groups:\n\t- ${group}\n\nContact your administrator to request access if necessary.`);
}

function ruleError(env: Env, spec: ModelSpec, op: string): OdooFault {
  return accessError(`Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, ${env.userName()} (id=${env.uid}) doesn't have '${op}' access to:\n- ${spec.description} (${spec.name})\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.`);
}

class Orm {
  constructor(readonly env: Env, readonly spec: ModelSpec) {}

  private get state() {
    return this.env.state;
  }

  /** The three roles the emulator knows instead of Odoo's groups and rules. */
  checkAccess(op: Operation, ids: number[] = []): void {
    const { user } = this.env;
    if (user.isAdmin) return;
    const name = this.spec.name;
    if (user.portal) {
      if (name === 'ir.attachment') throw aclError(this.spec, op, 'User types/Internal User');
      if (name === 'res.partner' && op !== 'read') throw ruleError(this.env, this.spec, 'read'); // as recorded for a portal write
      if (name === 'sale.order') {
        if (op !== 'read') throw aclError(this.spec, op, 'Sales/User: Own Documents Only');
        const hidden = ids.filter((id) => { const r = this.state.get(name, id); return r && !this.portalSees(r); });
        if (hidden.length) throw ruleError(this.env, this.spec, 'read');
      }
    }
    if (name === 'res.users' && op !== 'read' && !(op === 'write' && ids.length === 1 && ids[0] === this.env.uid)) {
      throw aclError(this.spec, op, 'Administration/Access Rights');
    }
    if (['res.country', 'res.country.state', 'res.company', 'res.currency'].includes(name) && op !== 'read') {
      throw aclError(this.spec, op, 'Administration/Settings');
    }
  }

  private commercialPartner(partnerId: unknown): unknown {
    return this.state.get('res.partner', partnerId as number)?.commercial_partner_id ?? partnerId;
  }

  /** The portal's record rule on sale.order: orders of its own commercial partner. */
  private portalSees(row: Row): boolean {
    const me = this.state.get('res.users', this.env.uid)?.partner_id;
    return this.commercialPartner(row.partner_id) === this.commercialPartner(me);
  }

  searchRows(domain: unknown, offset = 0, limit: unknown = null, order: unknown = null): Row[] {
    this.checkAccess('read');
    const terms = prepareDomain(this.env, this.spec, domain);
    const mentions = (f: string) => Array.isArray(domain) && domain.some((t) => Array.isArray(t) && t[0] === f);
    // ir.attachment._search: field attachments stay hidden unless the domain names id or res_field.
    if (this.spec.name === 'ir.attachment' && !mentions('id') && !mentions('res_field')) terms.unshift(['res_field', '=', false]);
    const activeTest = this.env.ctx.active_test !== false && !mentions('active');
    const tree = parseDomain(terms);
    let rows = [...this.state.table(this.spec.name).values()].filter((row) => {
      if (activeTest && 'active' in this.spec.fields && row.active === false) return false;
      if (this.spec.name === 'sale.order' && this.env.user.portal && !this.env.user.isAdmin && !this.portalSees(row)) return false;
      return evaluateDomain(tree, fieldReader(this.env, this.spec, row));
    });
    rows = this.env.sortRows(this.spec, rows, typeof order === 'string' && order.trim() ? order : this.spec.order);
    const start = typeof offset === 'number' && offset > 0 ? offset : 0;
    const end = typeof limit === 'number' && limit > 0 ? start + limit : undefined;
    return rows.slice(start, end);
  }

  /** The fields read() will return, checked: Odoo refuses an unknown one. */
  private fieldNames(fields: unknown): string[] {
    if (fields === null || fields === undefined || fields === false || (Array.isArray(fields) && fields.length === 0)) {
      return Object.keys(this.spec.fields);
    }
    const list = Array.isArray(fields) ? fields : [fields];
    for (const f of list) {
      const known = typeof f === 'string' && (this.spec.fields[f] || (f === '__last_update' && this.env.version <= 16));
      if (!known) throw valueError(`Invalid field ${pyRepr(f)} on model ${pyRepr(this.spec.name)}`);
    }
    return list as string[];
  }

  readRows(rows: Row[], fields: unknown, load: unknown = '_classic_read'): Record<string, unknown>[] {
    const names = this.fieldNames(fields).filter((f) => f !== 'id');
    return rows.map((row) => {
      const out: Record<string, unknown> = { id: row.id };
      for (const f of names) out[f] = f === '__last_update' ? readDatetime(row.write_date) : this.env.readValue(this.spec, row, f, load);
      return out;
    });
  }

  /** browse(ids).exists(): the rows of the ids that exist, in the ids' order; odd ids dropped. */
  existing(ids: unknown): Row[] {
    const list = Array.isArray(ids) ? ids : typeof ids === 'number' ? [ids] : [];
    const seen = new Set<number>();
    const rows: Row[] = [];
    for (const id of list) {
      if (typeof id !== 'number' || seen.has(id)) continue;
      seen.add(id);
      const row = this.state.get(this.spec.name, id);
      if (row) rows.push(row);
    }
    return rows;
  }

  private requireAll(ids: unknown): Row[] {
    const list = (Array.isArray(ids) ? ids : [ids]).filter((x): x is number => typeof x === 'number');
    const rows = this.existing(list);
    const missing = list.filter((id) => !this.state.get(this.spec.name, id));
    if (missing.length) throw missingRecords(this.spec.name, [...new Set(missing)], this.env.uid);
    return rows;
  }

  read(ids: unknown, fields: unknown, load: unknown): Record<string, unknown>[] {
    const rows = this.existing(ids);
    this.checkAccess('read', rows.map((r) => r.id));
    return this.readRows(rows, fields, load);
  }

  /** A value as it is stored, checked (many2one targets must exist, selections must be known). */
  private convert(fname: string, value: unknown): unknown {
    const field = this.spec.fields[fname]!;
    if (value === null || value === undefined) return false;
    switch (field.type) {
      case 'many2one': {
        if (value === false || value === 0) return false;
        const id = Array.isArray(value) ? value[0] : value;
        if (typeof id !== 'number') throw valueError(`Wrong value for ${this.spec.name}.${fname}: ${pyRepr(value)}`);
        if (this.state.models[field.relation!] && !this.state.get(field.relation!, id)) throw missingRecords(field.relation!, [id], this.env.uid);
        return id;
      }
      case 'selection':
        if (value !== false && !field.selection!.some(([k]) => k === value)) throw valueError(`Wrong value for ${this.spec.name}.${fname}: ${pyRepr(value)}`);
        return value;
      case 'datetime': {
        if (value === false || value === '') return false;
        const s = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value) ? normalizeDatetime(value) : null;
        if (!s) throw valueError(`time data ${pyRepr(value)} does not match format '%Y-%m-%d %H:%M:%S'`);
        return s;
      }
      case 'date':
        if (value === false || value === '') return false;
        if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value.slice(0, 10))) throw valueError(`time data ${pyRepr(value)} does not match format '%Y-%m-%d'`);
        return value.slice(0, 10);
      case 'boolean': return Boolean(value);
      case 'integer': case 'many2one_reference': return value === false ? (field.type === 'integer' ? 0 : false) : Math.trunc(Number(value));
      case 'float': case 'monetary': return value === false ? 0 : Number(value);
      case 'one2many':
        throw notImplemented(`the emulator does not apply x2many commands (${this.spec.name}.${fname})`);
      default: return value === '' ? '' : value;
    }
  }

  private assign(row: Row, vals: Record<string, unknown>): void {
    for (const [fname, value] of Object.entries(vals)) {
      const field = this.spec.fields[fname];
      if (!field) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(this.spec.name)}`);
      if (field.compute && field.store === false) continue; // no inverse: Odoo ignores it
      if (fname === 'id') continue;
      row[fname] = this.convert(fname, value);
    }
  }

  private checkRequired(row: Row): void {
    for (const [fname, field] of Object.entries(this.spec.fields)) {
      const v = row[fname];
      if (field.required && (v === undefined || v === null || v === false || v === '')) {
        throw validationError(`The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: ${this.spec.description} (${this.spec.name})\nField: ${field.string} (${fname})\n`);
      }
    }
  }

  create(valsList: unknown): number[] {
    this.checkAccess('create');
    const list = Array.isArray(valsList) ? valsList : [valsList];
    const ids: number[] = [];
    for (const raw of list) {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw typeError(`'${Array.isArray(raw) ? 'list' : typeof raw}' object is not a mapping`);
      let vals = { ...(raw as Record<string, unknown>) };
      let content: Buffer | null = null;
      if (this.spec.name === 'ir.attachment') ({ vals, content } = attachmentCreateValues(vals));
      if (this.spec.name === 'sale.order' && (!vals.name || vals.name === 'New')) {
        vals.name = `S${String(this.state.rows('sale.order').reduce((n, r) => Math.max(n, Number(String(r.name).slice(1)) || 0), 0) + 1).padStart(5, '0')}`;
      }
      if (this.spec.name === 'documents.document') vals = documentCreateValues(this.state, vals);
      if (this.spec.name === 'res.partner' && !vals.name && (vals.type ?? 'contact') === 'contact' && !vals.parent_id) {
        throw validationError('Contacts require a name');
      }
      const stamp = storeDatetime(this.env.now());
      const row: Row = { id: 0, ...this.spec.defaults?.(this.env) };
      this.assign(row, vals);
      Object.assign(row, { create_date: stamp, write_date: stamp, create_uid: this.env.uid, write_uid: this.env.uid });
      this.checkRequired(row);
      row.id = this.state.takeId(this.spec.name);
      this.state.table(this.spec.name).set(row.id, row);
      if (this.spec.name === 'ir.attachment' && content) this.state.setContent(row, content);
      if (this.spec.name === 'res.partner') recomputePartners(this.state);
      if (this.spec.name === 'documents.document') adoptDocumentAttachment(this.state, row);
      ids.push(row.id);
    }
    return ids;
  }

  write(ids: unknown, valsIn: unknown): true {
    if (!valsIn || typeof valsIn !== 'object' || Array.isArray(valsIn)) throw typeError(`'${typeof valsIn}' object has no attribute 'items'`);
    const list = (Array.isArray(ids) ? ids : [ids]).filter((x): x is number => typeof x === 'number');
    const rows = this.spec.writeMissingIsError ? this.requireAll(list) : this.existing(list);
    this.checkAccess('write', rows.map((r) => r.id));
    let vals = { ...(valsIn as Record<string, unknown>) };
    let content: Buffer | undefined;
    if (this.spec.name === 'ir.attachment') ({ vals, content } = attachmentWriteValues(this.env.version, vals));
    for (const row of rows) {
      this.assign(row, vals);
      Object.assign(row, { write_date: storeDatetime(this.env.now()), write_uid: this.env.uid });
      this.checkRequired(row);
      // The inverse of raw/datas: the content and what depends on it (file_size, checksum, store_fname).
      if (content !== undefined) this.state.setContent(row, content);
    }
    if (this.spec.name === 'res.partner') recomputePartners(this.state);
    return true;
  }

  unlink(ids: unknown): true {
    const rows = this.requireAll(ids);
    this.checkAccess('unlink', rows.map((r) => r.id));
    if (this.spec.name === 'sale.order' && rows.some((r) => r.state === 'sale' || r.state === 'sent')) {
      throw userError('You can not delete a sent quotation or a confirmed sales order. You must first cancel it.');
    }
    const idSet = new Set(rows.map((r) => r.id));
    // Foreign keys: a required many2one (ondelete restrict) pointing here refuses the delete.
    for (const other of Object.values(this.state.models)) {
      for (const [fname, field] of Object.entries(other.fields)) {
        if (field.type !== 'many2one' || field.relation !== this.spec.name || field.compute) continue;
        const referencing = [...this.state.table(other.name).values()].find((r) => idSet.has(r[fname] as number) && !(other === this.spec && idSet.has(r.id)));
        if (!referencing) continue;
        if (field.required) {
          throw validationError(`The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: ${other.description} (${other.name})\nConstraint: ${other.name.replace(/\./g, '_')}_${fname}_fkey\n`);
        }
      }
    }
    for (const other of Object.values(this.state.models)) {
      for (const [fname, field] of Object.entries(other.fields)) {
        if (field.type !== 'many2one' || field.relation !== this.spec.name || field.compute) continue;
        for (const r of this.state.table(other.name).values()) if (idSet.has(r[fname] as number)) r[fname] = false; // ondelete set null
      }
    }
    for (const id of idSet) {
      this.state.table(this.spec.name).delete(id);
      if (this.spec.name === 'ir.attachment') this.state.blobs.delete(id);
    }
    // BaseModel.unlink deletes the attachments of the deleted records.
    if (this.spec.name !== 'ir.attachment') {
      for (const att of [...this.state.table('ir.attachment').values()]) {
        if (att.res_model === this.spec.name && idSet.has(att.res_id as number)) {
          this.state.table('ir.attachment').delete(att.id);
          this.state.blobs.delete(att.id);
        }
      }
    }
    if (this.spec.name === 'res.partner') recomputePartners(this.state);
    return true;
  }

  fieldsGet(allfields: unknown, attributes: unknown): Record<string, Record<string, unknown>> {
    const names = Array.isArray(allfields) && allfields.length ? allfields.filter((f): f is string => typeof f === 'string' && f in this.spec.fields) : Object.keys(this.spec.fields);
    const wanted = Array.isArray(attributes) && attributes.length ? new Set(attributes as string[]) : null;
    const out: Record<string, Record<string, unknown>> = {};
    for (const fname of Object.keys(this.spec.fields)) {
      if (!names.includes(fname)) continue;
      const f = this.spec.fields[fname]!;
      const store = f.store !== false;
      const desc: Record<string, unknown> = {
        type: f.type, string: f.string, required: Boolean(f.required), readonly: Boolean(f.readonly), store,
        searchable: isSearchable(f, this.env.version), sortable: f.sortable ?? (store && f.type !== 'one2many'),
      };
      if (f.relation) desc.relation = f.relation;
      if (f.selection) desc.selection = f.selection;
      out[fname] = wanted ? Object.fromEntries(Object.entries(desc).filter(([k]) => wanted.has(k))) : desc;
    }
    return out;
  }

  nameSearch(name: unknown, domain: unknown, operator: unknown, limit: unknown): Array<[number, string]> {
    const extra = Array.isArray(domain) ? domain : [];
    let nameDomain: unknown[] = [];
    if (typeof name === 'string' && name) {
      const leaves = this.spec.recNames.map((f) => [f, operator ?? 'ilike', name]);
      nameDomain = [...leaves.slice(1).map(() => '|'), ...leaves];
    }
    const rows = this.searchRows([...nameDomain, ...extra], 0, limit ?? 100, null);
    return rows.map((r) => [r.id, this.spec.displayName(this.env, r)]);
  }

  generateAccessToken(ids: unknown): string[] {
    const rows = this.existing(ids);
    this.checkAccess('write', rows.map((r) => r.id));
    return rows.map((row) => {
      if (!row.access_token) Object.assign(row, { access_token: randomUUID(), write_date: storeDatetime(this.env.now()), write_uid: this.env.uid });
      return String(row.access_token);
    });
  }

  /** mail.thread.message_post, as far as attachments go: no mail.message is kept. */
  messagePost(ids: unknown, kw: Record<string, unknown>): number {
    const rows = this.existing(ids);
    if (rows.length !== 1) throw valueError(`Expected singleton: ${recordsetRepr(this.spec.name, rows.map((r) => r.id))}`);
    this.checkAccess('read', [rows[0]!.id]);
    const record = rows[0]!;
    const attachments = new Orm(this.env, this.env.state.models['ir.attachment']!);
    const pending = attachments.existing(kw.attachment_ids ?? []).filter((a) => a.res_model === 'mail.compose.message' && a.create_uid === this.env.uid);
    if (pending.length) attachments.write(pending.map((a) => a.id), { res_model: this.spec.name, res_id: record.id });
    for (const pair of Array.isArray(kw.attachments) ? kw.attachments : []) {
      const [name, content] = pair as [string, string];
      attachments.create({ name, raw: content, res_model: this.spec.name, res_id: record.id });
    }
    return this.state.nextMessageId++;
  }
}

/** ir.attachment.create: drop the fields Odoo computes, guess the mimetype, take the content. */
function attachmentCreateValues(input: Record<string, unknown>): { vals: Record<string, unknown>; content: Buffer | null } {
  const vals = { ...input };
  for (const f of ['file_size', 'checksum', 'store_fname']) delete vals[f];
  const { raw, datas } = vals;
  delete vals.raw;
  delete vals.datas;
  const content = raw ? (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(String(raw))) : datas ? Buffer.from(String(datas), 'base64') : null;
  vals.mimetype = computeMimetype({ ...vals, raw }, content);
  return { vals, content };
}

/**
 * ir.attachment.write, as recorded on 17: {type:'url', url} alone keeps the binary; `raw:
 * false` or `datas: false` clears it (store_fname false, file_size 0, checksum of nothing)
 * and recomputes the mimetype from the values written. From 19 on, `datas: false` is
 * dropped (the brief of issue 7 says so; not recorded).
 */
function attachmentWriteValues(version: OdooVersion, input: Record<string, unknown>): { vals: Record<string, unknown>; content: Buffer | undefined } {
  const vals = { ...input };
  for (const f of ['file_size', 'checksum', 'store_fname']) delete vals[f];
  if (version >= 19 && 'datas' in vals && vals.datas === false) delete vals.datas;
  let content: Buffer | undefined;
  if ('raw' in vals || 'datas' in vals) {
    const { raw, datas } = vals;
    content = raw ? Buffer.from(String(raw), 'utf8') : datas ? Buffer.from(String(datas), 'base64') : Buffer.alloc(0);
    delete vals.raw;
    delete vals.datas;
    vals.mimetype = computeMimetype({ mimetype: input.mimetype, name: input.name, url: input.url }, content);
  } else if ('mimetype' in vals) {
    vals.mimetype = computeMimetype({ mimetype: vals.mimetype, name: vals.name, url: vals.url }, null);
  }
  return { vals, content };
}

/** res.partner's stored computed fields: commercial_partner_id and complete_name. */
function recomputePartners(state: EmulatorState): void {
  const partners = state.table('res.partner');
  const commercial = (row: Row, depth = 0): Row => {
    const parent = typeof row.parent_id === 'number' ? partners.get(row.parent_id) : undefined;
    return row.is_company || !parent || depth > 20 ? row : commercial(parent, depth + 1);
  };
  for (const row of partners.values()) row.commercial_partner_id = commercial(row).id;
  for (const row of partners.values()) {
    const com = partners.get(row.commercial_partner_id as number)!;
    const commercialCompanyName = com.is_company ? com.name : row.company_name;
    const parent = typeof row.parent_id === 'number' ? partners.get(row.parent_id) : undefined;
    let name = String(row.name || '');
    if ((row.company_name || parent) && !row.is_company) name = `${commercialCompanyName || parent?.name || ''}, ${name}`;
    row.complete_name = name.trim();
  }
}

// ---------------------------------------------------------------------------------------
// Calling methods: signatures, JSON-RPC's call_kw and JSON-2's binding
// ---------------------------------------------------------------------------------------

interface Signature {
  api: 'model' | 'records';
  params: Array<[name: string, dflt?: unknown]>;
  kwOnly?: boolean;
  varKw?: boolean;
  models?: string[];
  versions?: OdooVersion[];
}

const REQUIRED = Symbol('required');
const SIGNATURES: Record<string, Signature> = {
  search: { api: 'model', params: [['domain', REQUIRED], ['offset', 0], ['limit', null], ['order', null]] },
  search_read: { api: 'model', params: [['domain', null], ['fields', null], ['offset', 0], ['limit', null], ['order', null]], varKw: true },
  search_count: { api: 'model', params: [['domain', REQUIRED], ['limit', null]] },
  read: { api: 'records', params: [['fields', null], ['load', '_classic_read']] },
  create: { api: 'model', params: [['vals_list', REQUIRED]] },
  write: { api: 'records', params: [['vals', REQUIRED]] },
  unlink: { api: 'records', params: [] },
  exists: { api: 'records', params: [] },
  fields_get: { api: 'model', params: [['allfields', null], ['attributes', null]] },
  name_search: { api: 'model', params: [['name', ''], ['domain', null], ['operator', 'ilike'], ['limit', 100]] },
  name_get: { api: 'records', params: [], versions: [16, 17] },
  generate_access_token: { api: 'records', params: [], models: ['ir.attachment'] },
  message_post: {
    api: 'records', kwOnly: true, varKw: true, models: ['res.partner', 'sale.order'],
    params: [['body', ''], ['subject', null], ['message_type', 'notification'], ['subtype_xmlid', null], ['subtype_id', false], ['partner_ids', null], ['attachments', null], ['attachment_ids', null], ['body_is_html', false]],
  },
  context_get: { api: 'model', params: [], models: ['res.users'] },
};

function signatureOf(env: Env, model: string, method: string): Signature | null {
  const sig = SIGNATURES[method];
  if (!sig || (sig.models && !sig.models.includes(model)) || (sig.versions && !sig.versions.includes(env.version))) return null;
  if (method === 'search' && env.version === 16) return { ...sig, params: [...sig.params, ['count', false]] };
  if (method === 'name_search' && env.version === 16) return { ...sig, params: sig.params.map(([n, d]) => [n === 'domain' ? 'args' : n, d] as [string, unknown]) };
  return sig;
}

/** Python's argument binding: positional then keyword, Python's TypeErrors when they do not fit. */
function bindPython(qualname: string, sig: Signature, args: unknown[], kwargs: Record<string, unknown>): Record<string, unknown> {
  const bound: Record<string, unknown> = {};
  const positional = sig.kwOnly ? [] : sig.params;
  if (args.length > positional.length) {
    const req = positional.filter(([, d]) => d === REQUIRED).length;
    const takes = req === positional.length ? `${positional.length + 1} positional argument${positional.length ? 's' : ''}` : `from ${req + 1} to ${positional.length + 1} positional arguments`;
    throw typeError(`${qualname}() takes ${takes} but ${args.length + 1} were given`);
  }
  args.forEach((a, i) => { bound[positional[i]![0]] = a; });
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (sig.params.some(([n]) => n === k)) {
      if (k in bound) throw typeError(`${qualname}() got multiple values for argument '${k}'`);
      bound[k] = v;
    } else if (sig.varKw) extra[k] = v;
    else throw typeError(`${qualname}() got an unexpected keyword argument '${k}'`);
  }
  const missing = sig.params.filter(([n, d]) => d === REQUIRED && !(n in bound)).map(([n]) => n);
  if (missing.length) throw pyMissing(qualname, missing);
  for (const [n, d] of sig.params) if (!(n in bound)) bound[n] = d;
  bound.__extra = extra;
  return bound;
}

function checkMethodName(model: string, method: string): void {
  if (method.startsWith('_')) throw accessError(`Private methods (such as '${model}.${method}') cannot be called remotely.`);
}

/** Runs a bound call; JSON-RPC and JSON-2 differ only in how arguments arrive and results leave. */
function runMethod(env: Env, model: string, method: string, ids: unknown, a: Record<string, unknown>): unknown {
  const spec = env.state.models[model]!;
  const orm = new Orm(env, spec);
  switch (method) {
    case 'search': {
      const rows = orm.searchRows(a.domain, Number(a.offset) || 0, a.limit, a.order);
      return a.count ? rows.length : rows.map((r) => r.id);
    }
    case 'search_read': {
      const extra = a.__extra as Record<string, unknown>;
      // **read_kwargs go on to read(), which takes only `load`.
      const unknown = Object.keys(extra).find((k) => k !== 'load');
      if (unknown) throw typeError(`BaseModel.read() got an unexpected keyword argument '${unknown}'`);
      return orm.readRows(orm.searchRows(a.domain, Number(a.offset) || 0, a.limit, a.order), a.fields, 'load' in extra ? extra.load : '_classic_read');
    }
    case 'search_count': return orm.searchRows(a.domain, 0, a.limit, 'id').length;
    case 'read': return orm.read(ids, a.fields, a.load);
    case 'create': return orm.create(a.vals_list);
    case 'write': return orm.write(ids, a.vals);
    case 'unlink': return orm.unlink(ids);
    case 'exists': return orm.existing(ids).map((r) => r.id);
    case 'fields_get': return orm.fieldsGet(a.allfields, a.attributes);
    case 'name_search': return orm.nameSearch(a.name, a.domain ?? a.args, a.operator, a.limit);
    case 'name_get': return orm.existing(ids).map((r) => [r.id, spec.displayName(env, r)]);
    case 'generate_access_token': return orm.generateAccessToken(ids);
    case 'message_post': return orm.messagePost(ids, { ...a, ...(a.__extra as object) });
    case 'context_get': return { lang: 'en_US', tz: 'Europe/Brussels', uid: env.uid };
    default: throw new Error(`unbound method ${method}`);
  }
}

/** odoo.api.call_kw over JSON-RPC: ids from the first argument of record methods, context from kwargs. */
function callKw(env: Env, model: string, method: string, args: unknown, kwargs: unknown): unknown {
  const argList = Array.isArray(args) ? [...args] : [];
  const kw = kwargs && typeof kwargs === 'object' && !Array.isArray(kwargs) ? { ...(kwargs as Record<string, unknown>) } : {};
  const ctx = kw.context && typeof kw.context === 'object' ? (kw.context as Ctx) : {};
  delete kw.context;
  const callEnv = env.withContext(ctx);
  const sig = signatureOf(callEnv, model, method);
  if (!sig) throw attributeError(`The method '${model}.${method}' does not exist`);
  const qualname = `${model === 'ir.attachment' && ['create', 'write', 'unlink', 'read'].includes(method) ? 'IrAttachment' : 'BaseModel'}.${method}`;
  if (sig.api === 'model') {
    const bound = bindPython(qualname, sig, argList, kw);
    const result = runMethod(callEnv, model, method, null, bound);
    // create with one dict answers one id (api.returns' downgrade), with a list a list.
    if (method === 'create' && !Array.isArray(bound.vals_list)) return (result as number[])[0];
    return result;
  }
  if (argList.length === 0) throw new OdooFault('builtins.IndexError', 'list index out of range');
  const ids = argList.shift();
  return runMethod(callEnv, model, method, ids, bindPython(qualname, sig, argList, kw));
}

/** JSON-2: every argument named, ids and context beside them; records come back as ids. */
function callJson2(env: Env, model: string, method: string, body: Record<string, unknown>): unknown {
  const { ids = [], context = {}, ...kwargs } = body;
  const spec = env.state.models[model];
  if (!spec) throw werkzeug(404, 'NotFound', `the model ${pyRepr(model)} does not exist`);
  checkMethodName(model, method);
  const callEnv = env.withContext(context && typeof context === 'object' ? (context as Ctx) : {});
  const sig = signatureOf(callEnv, model, method);
  if (!sig) throw werkzeug(404, 'NotFound', `The method '${model}.${method}' does not exist`);
  if (sig.api === 'model' && Array.isArray(ids) && ids.length) throw werkzeug(422, 'UnprocessableEntity', `cannot call ${model}.${method} with ids`);
  const bound: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (sig.params.some(([n]) => n === k)) bound[k] = v;
    else if (sig.varKw) extra[k] = v;
    else throw werkzeug(422, 'UnprocessableEntity', `got an unexpected keyword argument '${k}'`);
  }
  const missing = sig.params.find(([n, d]) => d === REQUIRED && !(n in bound));
  if (missing) throw werkzeug(422, 'UnprocessableEntity', `missing a required argument: '${missing[0]}'`);
  for (const [n, d] of sig.params) if (!(n in bound)) bound[n] = d;
  bound.__extra = extra;
  const result = runMethod(callEnv, model, method, ids, bound);
  if (method === 'message_post') return [result];
  return result;
}

// ---------------------------------------------------------------------------------------
// Services: common, db, object
// ---------------------------------------------------------------------------------------

function versionInfo(version: OdooVersion) {
  const v = VERSIONS[version];
  return { server_version: v.serie, server_version_info: v.info, server_serie: v.serie, protocol_version: 1 };
}

function unknownDatabase(db: unknown): OdooFault {
  return new OdooFault('psycopg2.OperationalError', `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database ${JSON.stringify(String(db))} does not exist\n`);
}

const sameSecret = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/** res.users._check_credentials over RPC: the password or an API key. */
function checkCredentials(state: EmulatorState, uid: number, secret: unknown, { interactive = false } = {}): boolean {
  const cred = state.credentials.get(uid);
  const row = state.get('res.users', uid);
  if (!cred || !row || row.active === false || typeof secret !== 'string' || !secret) return false;
  return (Boolean(cred.password) && sameSecret(cred.password, secret)) || (!interactive && cred.apiKey !== null && sameSecret(cred.apiKey, secret));
}

function loginUid(state: EmulatorState, login: unknown): number | null {
  const row = [...state.table('res.users').values()].find((r) => r.login === login && r.active !== false);
  return row ? row.id : null;
}

function dispatchService(state: EmulatorState, service: string, method: string, args: unknown[]): unknown {
  if (service === 'common') {
    switch (method) {
      case 'version': return versionInfo(state.version);
      case 'about': return args[0] ? ['See http://openerp.com', VERSIONS[state.version].serie] : 'See http://openerp.com';
      case 'login': case 'authenticate': {
        const [db, login, password] = args;
        if (args.length < (method === 'login' ? 3 : 4)) throw pyMissing(`exp_${method}`, (method === 'login' ? ['db', 'login', 'password'] : ['db', 'login', 'password', 'user_agent_env']).slice(args.length));
        if (db !== state.database) throw unknownDatabase(db);
        const uid = loginUid(state, login);
        return uid !== null && checkCredentials(state, uid, password) ? uid : false;
      }
      default: throw new OdooFault('builtins.Exception', `Method not found: ${method}`);
    }
  }
  if (service === 'db') {
    switch (method) {
      case 'list': return [state.database];
      case 'db_exist': return args[0] === state.database;
      case 'server_version': return VERSIONS[state.version].serie;
      default: throw new OdooFault('builtins.KeyError', `Method not found: ${method}`, 500, [`Method not found: ${method}`]);
    }
  }
  if (service === 'object') {
    if (method !== 'execute' && method !== 'execute_kw') throw new OdooFault('builtins.NameError', `Method not available ${method}`);
    if (args.length < 3) throw new OdooFault('builtins.IndexError', 'tuple index out of range');
    const [db, uidArg, secret, model, name, ...rest] = args;
    if (db !== state.database) throw unknownDatabase(db);
    const uid = Number(uidArg);
    if (!Number.isInteger(uid)) throw valueError(`invalid literal for int() with base 10: ${pyRepr(uidArg)}`);
    if (!secret) throw accessDenied(); // res.users.check refuses an empty password before anything
    if (!state.get('res.users', uid)) throw missingRecords('res.users', [uid], uid);
    if (!checkCredentials(state, uid, secret)) throw accessDenied();
    if (typeof model !== 'string' || typeof name !== 'string') throw pyMissing(method, ['obj', 'method'].slice(typeof model === 'string' ? 1 : 0));
    checkMethodName(model, name);
    if (!state.models[model]) throw userError(`Object ${model} doesn't exist`);
    const env = new Env(state, uid);
    if (method === 'execute') return callKw(env, model, name, rest, {});
    if (rest.length < 1) throw pyMissing('execute_kw', ['args']);
    return callKw(env, model, name, rest[0], rest[1]);
  }
  throw new OdooFault('builtins.KeyError', service, 500, [service]);
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

interface Req { method: string; path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders; body: Buffer }
interface Res { status: number; headers: Record<string, string>; body?: string | Buffer }

const JSON_CT = 'application/json; charset=utf-8';
const HTML_CT = 'text/html; charset=utf-8';
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
/** werkzeug's error page, byte for byte. */
const werkzeugPage = (status: number, title: string, description: string, headers: Record<string, string> = {}): Res => ({
  status, headers: { 'content-type': HTML_CT, ...headers },
  body: `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${description}</p>\n`,
});
const notFoundPage = () => werkzeugPage(404, 'Not Found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.');
/** Odoo's own (QWeb) 404 page, which the website answers for unknown routes: not byte for byte. */
const odooNotFound = (): Res => ({
  status: 404, headers: { 'content-type': 'text/html;charset=utf-8' },
  body: '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="utf-8"/>\n        <title>Odoo</title>\n    </head>\n    <body><h1>404: Page not found</h1><p>(Odoo emulator)</p></body>\n</html>\n',
});
const json = (value: unknown, status = 200, headers: Record<string, string> = {}): Res => ({ status, headers: { 'content-type': JSON_CT, ...headers }, body: JSON.stringify(value) });
const typeMismatch = (version: OdooVersion, route: string, type = version >= 19 ? 'jsonrpc' : 'json') =>
  werkzeugPage(400, 'Bad Request', escapeHtml(`Request inferred type is compatible with ['http'] but '${route}' is type='${type}'.`));
const isJsonType = (headers: http.IncomingHttpHeaders) => /^application\/json(-rpc)?\s*(;|$)/i.test(String(headers['content-type'] ?? ''));

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** werkzeug's Content-Disposition for send_file(download_name=...): quoted when needed, filename* for non-ASCII. */
function contentDisposition(kind: 'attachment' | 'inline', filename: string): string {
  const token = /^[!#$%&'*+\-.0-9A-Z^_`a-z|~]+$/;
  const quote = (v: string) => (token.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  if (/^[\x00-\x7f]*$/.test(filename)) return `${kind}; filename=${quote(filename)}`;
  const simple = filename.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  const quoted = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%(2[1346B]|5E|60|7C|7E)/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return `${kind}; filename=${quote(simple)}; filename*=UTF-8''${quoted}`;
}

const httpDate = (d: Date) => d.toUTCString();
const sessionCookie = (state: EmulatorState, id: string) => `session_id=${id}; Expires=${httpDate(new Date(state.now().getTime() + 604_800_000))}; Max-Age=604800; HttpOnly; Path=/`;

class Server {
  constructor(readonly state: EmulatorState, readonly baseUrl: () => string) {}

  async handle(req: Req): Promise<Res> {
    const { path, method } = req;
    if (path === '/jsonrpc') return this.jsonRpcRoute(req, '/jsonrpc', (params) => {
      if (!params || typeof params !== 'object' || Array.isArray(params)) throw pyMissing('RPC.jsonrpc', ['service', 'method', 'args']);
      const p = params as Record<string, unknown>;
      const missing = ['service', 'method', 'args'].filter((k) => !(k in p));
      if (missing.length) throw pyMissing('RPC.jsonrpc', missing);
      this.state.requests[this.state.requests.length - 1] += ` ${p.service}.${p.method}${p.method === 'execute_kw' || p.method === 'execute' ? ` ${(p.args as unknown[])?.[3]}.${(p.args as unknown[])?.[4]}` : ''}`;
      return dispatchService(this.state, String(p.service), String(p.method), Array.isArray(p.args) ? p.args : []);
    });
    if (path === '/web/webclient/version_info') return this.jsonRpcRoute(req, path, () => versionInfo(this.state.version));
    if (path === '/web/database/list') return this.jsonRpcRoute(req, path, () => [this.state.database]);
    if (path === '/web/session/authenticate') return this.jsonRpcRoute(req, path, (params, res) => this.sessionAuthenticate(params, res));
    if (path === '/web/dataset/call_kw' || path.startsWith('/web/dataset/call_kw/')) return this.callKwRoute(req);
    if (path === '/web/health' && method === 'GET') return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: '{"status": "pass"}' };
    if (path === '/web/version' && this.state.version >= 19 && method === 'GET') {
      const v = VERSIONS[this.state.version];
      return json({ version_info: v.info, version: v.serie });
    }
    if ((path === '/json/2' || path.startsWith('/json/2/')) && this.state.version >= 19) return this.json2Route(req);
    if (path === '/web/content' || path.startsWith('/web/content/')) {
      if (method === 'GET' || method === 'HEAD') return this.content(req);
      return werkzeugPage(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.', { allow: 'GET, HEAD, OPTIONS' });
    }
    if (path === '/web/login' && method === 'GET') {
      return { status: 200, headers: { 'content-type': HTML_CT, 'cache-control': 'no-cache' }, body: '<!DOCTYPE html>\n<html style="height: 100%;">\n    <head><meta charset="utf-8"/><title>Odoo</title></head>\n    <body><form method="post" action="/web/login"><input name="login"/><input name="password" type="password"/></form></body>\n</html>\n' };
    }
    if (path.startsWith('/xmlrpc/')) {
      if (method === 'POST') return { status: 501, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'XML-RPC is not emulated by test/support/odooEmulator.ts: use /jsonrpc or JSON-2' };
      return werkzeugPage(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.', { allow: 'OPTIONS, POST' });
    }
    return odooNotFound();
  }

  /** A type='json' route: Odoo's checks on the request, then the JSON-RPC envelope around the answer. */
  private jsonRpcRoute(req: Req, route: string, fn: (params: unknown, res: Res) => unknown): Res {
    if (!isJsonType(req.headers)) return typeMismatch(this.state.version, route);
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return { status: 400, headers: { 'content-type': HTML_CT }, body: 'Invalid JSON data' };
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { status: 400, headers: { 'content-type': HTML_CT }, body: 'Invalid JSON-RPC data' };
    const env = body as Record<string, unknown>;
    const id = env.id ?? null;
    const res: Res = { status: 200, headers: { 'content-type': JSON_CT } };
    try {
      const result = fn(env.params ?? {}, res);
      // JsonRPCDispatcher._response: a None result leaves `result` out of the envelope.
      res.body = JSON.stringify(result === undefined || result === null ? { jsonrpc: '2.0', id } : { jsonrpc: '2.0', id, result });
    } catch (err) {
      const fault = err instanceof OdooFault ? err : new OdooFault('builtins.Exception', (err as Error).message);
      res.body = JSON.stringify({ jsonrpc: '2.0', id, error: { code: this.state.version >= 19 ? 0 : 200, message: 'Odoo Server Error', data: fault.serialize(this.state.version) } });
    }
    return res;
  }

  private sessionAuthenticate(params: unknown, res: Res): unknown {
    const p = (params ?? {}) as Record<string, unknown>;
    if (p.db !== this.state.database) throw accessError('Database not found.');
    const uid = loginUid(this.state, p.login);
    if (uid === null || !checkCredentials(this.state, uid, p.password, { interactive: true })) throw accessDenied();
    const sid = randomBytes(30).toString('base64url');
    this.state.sessions.set(sid, uid);
    res.headers['set-cookie'] = sessionCookie(this.state, sid);
    return this.sessionInfo(uid);
  }

  /** session_info as Odoo 17 answers /web/session/authenticate (the keys; values the emulator's). */
  private sessionInfo(uid: number): Record<string, unknown> {
    const env = new Env(this.state, uid);
    const user = env.user;
    const userRow = this.state.get('res.users', uid)!;
    const partner = this.state.get('res.partner', userRow.partner_id as number);
    const v = VERSIONS[this.state.version];
    return {
      uid, is_system: user.isAdmin, is_admin: user.isAdmin, is_public: false, is_internal_user: !user.portal,
      user_context: { lang: 'en_US', tz: 'Europe/Brussels', uid }, db: this.state.database,
      user_settings: { id: uid - 1 || 1, user_id: { id: uid }, is_discuss_sidebar_category_channel_open: true, is_discuss_sidebar_category_chat_open: true, push_to_talk_key: false, use_push_to_talk: false, voice_active_duration: 200, volume_settings_ids: [['ADD', []]] },
      server_version: v.serie, server_version_info: v.info, support_url: 'https://www.odoo.com/buy',
      name: partner?.name ?? userRow.login, username: userRow.login, partner_display_name: partner?.complete_name ?? '', partner_id: userRow.partner_id,
      'web.base.url': this.baseUrl(), active_ids_limit: 20000, profile_session: null, profile_collectors: null, profile_params: null,
      max_file_upload_size: 134217728, home_action_id: false,
      cache_hashes: { translations: sha1(Buffer.from(`translations-${v.serie}`)), load_menus: createHash('sha256').update(`menus-${uid}`).digest('hex') },
      currencies: { 1: { symbol: '$', position: 'before', digits: [69, 2] } }, bundle_params: { lang: 'en_US' },
      user_companies: { current_company: 1, allowed_companies: { 1: { id: 1, name: 'YourCompany', sequence: 0, child_ids: [], parent_id: false } }, disallowed_ancestor_companies: {} },
      show_effect: true, display_switch_company_menu: false, user_id: [uid], websocket_worker_version: `${v.serie}-1`, web_tours: [],
      tour_disable: true, notification_type: 'email', odoobot_initialized: true, iap_company_enrich: true, is_quick_edit_mode_enabled: false,
    };
  }

  private sessionUid(req: Req): number | null {
    const sid = parseCookies(req.headers.cookie).session_id;
    return sid ? this.state.sessions.get(sid) ?? null : null;
  }

  /** /web/dataset/call_kw: the web client's route, for a session only. */
  private callKwRoute(req: Req): Res {
    if (!isJsonType(req.headers)) return typeMismatch(this.state.version, '/web/dataset/call_kw');
    const uid = this.sessionUid(req);
    if (uid === null) {
      // Odoo refuses the session before it reads the request: no id, code 100.
      const fault = new OdooFault('odoo.http.SessionExpiredException', 'Session expired', 403);
      return json({ jsonrpc: '2.0', id: null, error: { code: 100, message: 'Odoo Session Expired', data: fault.serialize(this.state.version) } });
    }
    return this.jsonRpcRoute(req, '/web/dataset/call_kw', (params) => {
      const p = (params ?? {}) as Record<string, unknown>;
      const model = String(p.model);
      const method = String(p.method);
      checkMethodName(model, method);
      if (!this.state.models[model]) throw new OdooFault('builtins.KeyError', model, 500, [model]);
      return callKw(new Env(this.state, uid), model, method, p.args, p.kwargs);
    });
  }

  private json2Route(req: Req): Res {
    const fault = (f: OdooFault, extraHeaders: Record<string, string> = {}) => json(f.serialize(this.state.version), f.httpStatus, extraHeaders);
    const m = /^\/json\/2\/([^/]+)\/([^/]+)$/.exec(req.path);
    if (!m || req.method !== 'POST') return fault(werkzeug(404, 'NotFound', 'Did you mean POST /json/2/<model>/<method>?'));
    if (req.body.length && !isJsonType(req.headers)) return typeMismatch(this.state.version, '/json/2/<model>/<method>', 'json2');
    const db = req.headers['x-odoo-database'];
    if (db !== undefined && db !== this.state.database) return fault(werkzeug(404, 'NotFound', `database ${pyRepr(String(db))} not found`)); // a guess
    const auth = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const bearer = { 'www-authenticate': 'Bearer' };
    if (!auth) return fault(werkzeug(401, 'Unauthorized', 'User not authenticated, use the "Authorization" header'), bearer);
    const uid = [...this.state.credentials.entries()].find(([id, c]) => c.apiKey !== null && sameSecret(c.apiKey, auth) && this.state.get('res.users', id)?.active !== false)?.[0];
    if (uid === undefined) return fault(werkzeug(401, 'Unauthorized', 'Invalid apikey'), bearer);
    let body: unknown = {};
    if (req.body.length) {
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch (err) {
        return fault(werkzeug(400, 'BadRequest', `could not parse the body as json: ${(err as Error).message}`));
      }
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) body = {};
    const [model, method] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    this.state.requests[this.state.requests.length - 1] += ` ${model}.${method}`;
    try {
      const result = callJson2(new Env(this.state, uid), model, method, body as Record<string, unknown>);
      return json(result === undefined ? null : result);
    } catch (err) {
      return fault(err instanceof OdooFault ? err : new OdooFault('builtins.Exception', (err as Error).message));
    }
  }

  /** /web/content: the bytes of a binary attachment, a 301 to the link of a URL one, 404 otherwise. */
  private content(req: Req): Res {
    const m = /^\/web\/content(?:\/(\d+)(?:\/([^/]+))?)?\/?$/.exec(req.path);
    const q = req.query;
    let id: number | null = null;
    let filename: string | null = null;
    if (m?.[1]) {
      id = Number(m[1]);
      filename = m[2] ? decodeURIComponent(m[2]) : null;
    } else if (m && (q.get('model') ?? 'ir.attachment') === 'ir.attachment' && q.get('id')) {
      id = Number(q.get('id'));
    }
    if (id === null || !Number.isInteger(id)) return notFoundPage();
    const row = this.state.get('ir.attachment', id);
    if (!row) return notFoundPage();
    const token = q.get('access_token');
    const uid = this.sessionUid(req);
    const byToken = Boolean(token && typeof row.access_token === 'string' && sameSecret(row.access_token, token));
    const bySession = uid !== null && !(this.state.credentials.get(uid)?.portal);
    if (!byToken && !bySession && !row.public) return notFoundPage();
    const cookie: Record<string, string> = uid === null ? { 'set-cookie': sessionCookie(this.state, randomBytes(30).toString('base64url')) } : {};
    const data = this.state.content(id);
    if (!data && row.type === 'url' && typeof row.url === 'string' && row.url) {
      const loc = escapeHtml(row.url);
      return {
        status: 301, headers: { 'content-type': HTML_CT, location: row.url, ...cookie },
        body: `<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href="${loc}">${loc}</a>. If not, click the link.\n`,
      };
    }
    const body = data ?? Buffer.alloc(0);
    const mimetype = String(row.mimetype || 'application/octet-stream');
    const download = ['true', '1', 'yes'].includes(String(q.get('download') ?? '').toLowerCase());
    const etag = `"${row.checksum || sha1(body)}"`;
    const common: Record<string, string> = {
      'content-disposition': contentDisposition(download ? 'attachment' : 'inline', filename ?? String(row.name || `attachment-${id}`)),
      'cache-control': byToken || uid === null ? 'no-cache' : 'no-cache, private',
      etag, 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'", ...cookie,
    };
    if (req.headers['if-none-match'] === etag) return { status: 304, headers: common };
    return {
      status: 200,
      headers: {
        ...common,
        'content-type': mimetype.startsWith('text/') && !/charset=/i.test(mimetype) ? `${mimetype}; charset=utf-8` : mimetype,
        'content-length': String(body.length),
        'last-modified': httpDate(this.state.blobs.get(id)?.setAt ?? new Date(`${String(row.write_date).slice(0, 19).replace(' ', 'T')}Z`)),
      },
      body: req.method === 'HEAD' ? undefined : body,
    };
  }
}

// ---------------------------------------------------------------------------------------
// Seed: the recorded Odoo 17 demo database
// ---------------------------------------------------------------------------------------

const T = (hms: string, day = '2026-12-03') => `${day} ${hms}.000000`;

/** [id, name, parent, is_company, extra] of the 40 partners of test/fixtures/odoo's database. */
const RECORDED_PARTNERS: Array<[number, string, number | null, boolean, Record<string, unknown>?]> = [
  [1, 'YourCompany', null, true, { email: 'info@yourcompany.com', phone: '+1 555-555-5556', company_id: 1, write_date: T('15:10:29') }],
  [2, 'OdooBot', null, false, { active: false, email: 'odoobot@example.com', company_id: 1 }],
  [3, 'Mitchell Admin', null, false, { company_name: 'YourCompany', email: 'admin@yourcompany.example.com', company_id: 1, state_id: 47 }],
  [4, 'Public user', null, false, { active: false, company_id: 1 }],
  [5, 'Default User Template', null, false, { active: false, company_id: 1 }],
  [6, 'Portal User Template', null, false, { active: false, company_id: 1 }],
  [7, 'Marc Demo', null, false, { company_name: 'YourCompany', email: 'mark.brown23@example.com', company_id: 1 }],
  [8, 'Joel Willis', null, false, { company_name: 'YourCompany', email: 'joel.willis63@example.com', company_id: 1 }],
  [9, 'Wood Corner', null, true, { email: 'wood.corner26@example.com', phone: '(623)-853-7197' }],
  [10, 'Deco Addict', null, true, { email: 'deco_addict@yourcompany.example.com', phone: '(603)-996-3829', write_date: T('15:11:17') }],
  [11, 'Gemini Furniture', null, true, { email: 'gemini_furniture@fake.geminifurniture.com', phone: '(941)-284-4875', write_date: T('15:11:34') }],
  [12, 'Ready Mat', null, true, { email: 'ready.mat28@example.com', phone: '(803)-873-6126', write_date: T('15:11:34') }],
  [13, 'The Jackson Group', null, true, { email: 'jackson.group82@example.com', phone: '(334)-502-1024' }],
  [14, 'Azure Interior', null, true, { email: 'azure.Interior24@example.com', phone: '(870)-931-0505', write_date: T('15:11:17') }],
  [15, 'Lumber Inc', null, true, { email: 'lumber-inv92@example.com', phone: '(828)-316-0593' }],
  [16, 'Willie Burke', 9, false], [17, 'Ron Gibson', 9, false],
  [18, 'Douglas Fletcher', 10, false, { street: '77 Santa Barbara Rd', city: 'Pleasant Hill', zip: '94523' }],
  [19, 'Floyd Steward', 10, false], [20, 'Edwin Hansen', 11, false], [21, 'Billy Fox', 12, false], [22, 'Jesse Brown', 11, false],
  [23, 'Soham Palmer', 11, false], [24, 'Kim Snyder', 12, false], [25, 'Edith Sanchez', 12, false], [26, 'Brandon Freeman', 14, false],
  [27, 'Nicole Ford', 14, false], [28, 'Toni Rhodes', 13, false], [29, 'Gordon Owens', 13, false], [30, 'Theodore Gardner', 12, false],
  [31, 'Oscar Morgan', 11, false], [32, 'Tom Ruiz', 9, false], [33, 'Colleen Diaz', 14, false], [34, 'Lorraine Douglas', 15, false],
  [35, 'Addison Olson', 10, false], [36, 'Sandra Neal', 12, false], [37, 'Julie Richards', 12, false], [38, 'Travis Mendoza', 12, false],
  [39, 'Chester Reed', 1, false, { company_id: 1 }], [40, 'Dwayne Newman', 1, false, { company_id: 1 }],
];

/** [id, state, amount_total, partner, date_order] of the 20 recorded sale orders (S000<id>). */
const RECORDED_ORDERS: Array<[number, string, number, number, string]> = [
  [1, 'draft', 2001.0, 10, T('15:11:00', '2026-11-03')], [2, 'draft', 3389.63, 12, T('15:11:00', '2026-11-03')],
  [3, 'draft', 434.13, 12, T('15:11:37')], [4, 'sale', 2576.0, 11, T('15:11:39')], [5, 'draft', 465.75, 10, T('15:11:00', '2026-11-03')],
  [6, 'sale', 862.5, 15, T('15:11:39')], [7, 'sale', 1961.9, 11, T('15:11:39')], [8, 'sale', 531.3, 11, T('15:11:39')],
  [9, 'sale', 752.11, 11, T('15:11:39', '2026-11-26')], [10, 'sale', 863.65, 11, T('15:11:39')], [11, 'sale', 1260.98, 11, T('15:11:39', '2026-11-12')],
  [12, 'sale', 639.4, 11, T('15:11:39')], [13, 'sale', 477.83, 11, T('15:11:39')], [14, 'sale', 1819.3, 11, T('15:11:39')],
  [15, 'sale', 1772.73, 11, T('15:11:39', '2026-11-19')], [16, 'sale', 1364.48, 11, T('15:11:39')], [17, 'sale', 1093.65, 11, T('15:11:39', '2026-11-05')],
  [18, 'sale', 955.65, 11, T('15:11:39', '2026-10-29')], [19, 'sent', 2001.0, 8, T('15:11:00', '2026-11-03')], [20, 'sale', 3389.63, 8, T('15:11:39', '2026-11-03')],
];
const RECORDED_UNTAXED: Record<number, number> = { 10: 751.0, 12: 556.0, 13: 415.5, 14: 1582.0, 16: 1186.5 };

function seed(state: EmulatorState, kind: 'recorded' | 'none', users: EmulatorUser[]): void {
  state.insert('res.currency', { id: 1, name: 'USD', active: true });
  state.insert('res.country', { id: 20, name: 'Belgium', code: 'BE' });
  state.insert('res.country', { id: 233, name: 'United States', code: 'US' });
  state.insert('res.country.state', { id: 13, name: 'California', code: 'CA', country_id: 233 });
  state.insert('res.country.state', { id: 47, name: 'Pennsylvania', code: 'PA', country_id: 233 });
  state.insert('res.company', { id: 1, name: 'YourCompany', partner_id: 1, sequence: 0 });
  const partner = (id: number, name: string, parent: number | null, isCompany: boolean, extra: Record<string, unknown> = {}) => {
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@example.com`;
    state.insert('res.partner', {
      id, name, parent_id: parent ?? false, is_company: isCompany, active: true, type: 'contact', email, phone: false, mobile: false,
      country_id: 233, state_id: 13, user_id: false, company_id: false, company_name: false, street: false, street2: false, city: false, zip: false,
      create_date: T('15:10:29'), write_date: T(isCompany ? '15:11:09' : '15:10:29'), create_uid: 1, write_uid: 1, ...extra,
    });
  };
  if (kind === 'recorded') {
    for (const [id, name, parent, company, extra] of RECORDED_PARTNERS) partner(id, name, parent, company, extra);
    state.insert('res.users', { id: 1, login: '__system__', partner_id: 2, active: false, share: false, company_id: 1 });
    state.insert('res.users', { id: 2, login: 'admin', partner_id: 3, active: true, share: false, company_id: 1 });
    state.insert('res.users', { id: 6, login: 'demo', partner_id: 7, active: true, share: false, company_id: 1 });
    state.insert('res.users', { id: 7, login: 'portal', partner_id: 8, active: true, share: true, company_id: 1 });
    let line = 1;
    const nextLine = () => {
      if (line === 8) line = 12; // 8-11 are S00004's, as recorded
      return line++;
    };
    for (const [id, st, total, partnerId, date] of RECORDED_ORDERS) {
      const lines = id === 4 ? [8, 9, 10, 11] : [nextLine(), nextLine()];
      state.insert('sale.order', {
        id, name: `S${String(id).padStart(5, '0')}`, state: st, amount_total: total, amount_untaxed: RECORDED_UNTAXED[id] ?? Math.round((total / 1.15) * 100) / 100,
        partner_id: partnerId, date_order: date.endsWith(':39.000000') ? date.replace('.000000', '.326598') : date, validity_date: '2027-01-02', commitment_date: false,
        user_id: 6, currency_id: 1, company_id: 1, order_line: lines, create_date: T('15:11:34'), write_date: T('15:11:34'), create_uid: 2, write_uid: 2,
      });
    }
    state.nextIds.set('ir.attachment', 774);
    state.nextMessageId = 161;
  } else {
    partner(1, 'YourCompany', null, true, { company_id: 1 });
    state.insert('res.users', { id: 1, login: '__system__', partner_id: 1, active: false, share: false, company_id: 1 });
  }
  for (const u of users) {
    if (!state.get('res.partner', u.partnerId)) partner(u.partnerId, u.name ?? u.login, null, false, { company_name: 'YourCompany', company_id: 1 });
    const existing = state.get('res.users', u.uid);
    if (existing) Object.assign(existing, { login: u.login, partner_id: u.partnerId, active: true, share: Boolean(u.portal) });
    else state.insert('res.users', { id: u.uid, login: u.login, partner_id: u.partnerId, active: true, share: Boolean(u.portal), company_id: 1 });
    state.credentials.set(u.uid, { password: u.password, apiKey: u.apiKey ?? null, isAdmin: u.isAdmin, portal: Boolean(u.portal) });
  }
  recomputePartners(state);
}

/**
 * documents.document create: the type follows what the document holds (a file, a link,
 * or, from 18 on, nothing for a folder), as Odoo computes it. Guessed from Odoo's source,
 * not recorded.
 */
function documentCreateValues(state: EmulatorState, vals: Record<string, unknown>): Record<string, unknown> {
  const out = { ...vals };
  if (out.type === 'folder' && state.version < 18) throw valueError(`Wrong value for documents.document.type: 'folder'`);
  if (out.type !== 'folder') out.type = out.attachment_id ? 'binary' : out.url ? 'url' : state.version >= 18 ? 'binary' : 'empty';
  return out;
}

/** A document's new attachment becomes the document's (res_model/res_id), as Odoo does for uploads. */
function adoptDocumentAttachment(state: EmulatorState, row: Row): void {
  const att = typeof row.attachment_id === 'number' ? state.get('ir.attachment', row.attachment_id) : undefined;
  if (att && (att.res_model === false || att.res_model === 'documents.document')) Object.assign(att, { res_model: 'documents.document', res_id: row.id });
}

// ---------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------

export async function startOdooEmulator(options: EmulatorOptions): Promise<OdooEmulator> {
  const state = new EmulatorState(options.version, options.database, options.now ?? (() => new Date()), options.documents ?? false);
  seed(state, options.seed ?? 'recorded', options.users);
  let url = '';
  const server = new Server(state, () => options.baseUrl ?? url);
  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://emulator');
      state.requests.push(`${req.method} ${parsed.pathname}`);
      server.handle({ method: req.method ?? 'GET', path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body: Buffer.concat(chunks) })
        .then((answer) => {
          const headers: Record<string, string> = { server: 'Werkzeug/2.2.2 Python/3.11.2 (odooEmulator)', ...answer.headers };
          const body = answer.body === undefined ? undefined : Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body, 'utf8');
          if (body !== undefined && !('content-length' in headers)) headers['content-length'] = String(body.length);
          res.writeHead(answer.status, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`odooEmulator crashed: ${(err as Error).stack ?? String(err)}`);
        });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  return {
    url,
    state,
    close: () => new Promise<void>((resolve, reject) => {
      httpServer.closeAllConnections();
      httpServer.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
