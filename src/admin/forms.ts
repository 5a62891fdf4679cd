/**
 * HTML forms <-> API bodies. The pages send what the form says and let the API validate
 * it (its 422 message is what the page shows); only what a form cannot carry as it is
 * (JSON text areas, checkboxes, number fields) is converted here.
 */

export type FormData = URLSearchParams;

const text = (form: FormData, name: string): string => form.get(name) ?? '';
const checked = (form: FormData, name: string): boolean => form.has(name) && form.get(name) !== '';

/** A number when the field holds one, else the text itself, so the API names the field. */
function numberOrText(value: string): number | string {
  const t = value.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

export function connectionBody(form: FormData) {
  return {
    url: text(form, 'url').trim(),
    username: text(form, 'username'),
    password: text(form, 'password'),
    rootFolder: text(form, 'rootFolder').trim() || 'Odoo',
    publicUrls: checked(form, 'publicUrls'),
  };
}

export const SETTINGS_FIELDS = ['timeBudgetSeconds', 'logRetentionDays', 'maxDeleteShare'] as const;

export function settingsBody(form: FormData) {
  const body: Record<string, unknown> = { logSyncActivities: checked(form, 'logSyncActivities') };
  for (const name of SETTINGS_FIELDS) {
    const v = text(form, name);
    if (v.trim() !== '') body[name] = numberOrText(v);
  }
  return body;
}

export interface ScheduleForm {
  mode: 'every' | 'cron';
  every: string;
  offset: string;
  cron: string;
  paused: boolean;
}

export function scheduleForms(form: FormData): Record<'direct' | 'backward', ScheduleForm> {
  const one = (d: 'direct' | 'backward'): ScheduleForm => ({
    mode: text(form, `${d}_mode`) === 'cron' ? 'cron' : 'every',
    every: text(form, `${d}_every`).trim(),
    offset: text(form, `${d}_offset`).trim(),
    cron: text(form, `${d}_cron`).trim(),
    paused: checked(form, `${d}_paused`),
  });
  return { direct: one('direct'), backward: one('backward') };
}

export function schedulesBody(forms: Record<'direct' | 'backward', ScheduleForm>) {
  const one = (f: ScheduleForm) => (f.mode === 'cron'
    ? { cron: f.cron, paused: f.paused }
    : { every: f.every, ...(f.offset ? { offset: f.offset } : {}), paused: f.paused });
  return { direct: one(forms.direct), backward: one(forms.backward) };
}

/** What the schedules form shows for what `GET /api/schedules` answers. */
export function scheduleFormOf(s: { every?: string | null; offset?: string | null; cron?: string | null; paused?: boolean } | undefined): ScheduleForm {
  return {
    mode: s?.cron ? 'cron' : 'every', every: s?.every ?? '', offset: s?.offset ?? '', cron: s?.cron ?? '', paused: !!s?.paused,
  };
}

export interface PeriodForm {
  field: string;
  direction: string;
  amount: string;
  unit: string;
  includeCurrent: boolean;
}

/** The sync model form as the page shows it: JSON fields as text, so a typo stays editable. */
export interface SyncModelForm {
  model: string;
  folderName: string;
  domain: string;
  periods: PeriodForm[];
  nameExpression: string;
  defaultFolders: string;
  active: boolean;
}

export const EMPTY_SYNC_MODEL: SyncModelForm = {
  model: '', folderName: '', domain: '[]', periods: [], nameExpression: '', defaultFolders: '[]', active: true,
};

export function syncModelFormOf(m: {
  model: string; folderName: string; domain: unknown; nameExpression: string | null; defaultFolders: unknown; active: boolean;
  periods: Array<{ field: string; direction: string; amount: number; unit: string; includeCurrent?: boolean }>;
}): SyncModelForm {
  return {
    model: m.model, folderName: m.folderName, domain: JSON.stringify(m.domain), nameExpression: m.nameExpression ?? '',
    defaultFolders: JSON.stringify(m.defaultFolders, null, 2), active: m.active,
    periods: m.periods.map((p) => ({ field: p.field, direction: p.direction, amount: String(p.amount), unit: p.unit, includeCurrent: !!p.includeCurrent })),
  };
}

export function syncModelFormFrom(form: FormData): SyncModelForm {
  const rows = [...form.keys()].map((k) => /^p(\d{1,3})_field$/.exec(k)?.[1]).filter((i): i is string => i !== undefined)
    .map(Number).sort((a, b) => a - b);
  const periods: PeriodForm[] = [];
  for (const i of new Set(rows)) {
    const p = {
      field: text(form, `p${i}_field`).trim(), direction: text(form, `p${i}_direction`), amount: text(form, `p${i}_amount`).trim(),
      unit: text(form, `p${i}_unit`), includeCurrent: checked(form, `p${i}_includeCurrent`),
    };
    // An untouched blank row is no period; a half-filled one goes to the API, which names what is missing.
    if (p.field || p.amount) periods.push(p);
  }
  return {
    model: text(form, 'model').trim(), folderName: text(form, 'folderName'), domain: text(form, 'domain'), periods,
    nameExpression: text(form, 'nameExpression'), defaultFolders: text(form, 'defaultFolders'), active: checked(form, 'active'),
  };
}

/** The API body of a sync model form, or the fields that are not even JSON. */
export function syncModelBody(f: SyncModelForm): { body: Record<string, unknown> } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const json = (name: 'domain' | 'defaultFolders'): unknown => {
    const raw = f[name].trim();
    if (raw === '') return [];
    try {
      return JSON.parse(raw);
    } catch (err) {
      errors[name] = `is not valid JSON (${(err as Error).message})`;
      return undefined;
    }
  };
  const domain = json('domain');
  const defaultFolders = json('defaultFolders');
  if (Object.keys(errors).length) return { errors };
  return {
    body: {
      model: f.model, folderName: f.folderName, domain, defaultFolders, active: f.active,
      nameExpression: f.nameExpression.trim() === '' ? null : f.nameExpression,
      periods: f.periods.map((p) => ({ field: p.field, direction: p.direction, amount: numberOrText(p.amount), unit: p.unit, includeCurrent: p.includeCurrent })),
    },
  };
}

/** The log filters a page passes on to the API: only those given, only those it knows. */
export const LOG_FILTERS = ['q', 'level', 'direction', 'model', 'recordId', 'from', 'to'] as const;
export type LogFilters = Partial<Record<(typeof LOG_FILTERS)[number], string>>;

export function logFiltersOf(query: Record<string, unknown>): LogFilters {
  const out: LogFilters = {};
  for (const name of LOG_FILTERS) {
    const v = query[name];
    if (typeof v === 'string' && v.trim() !== '') out[name] = v.trim();
  }
  return out;
}

export function queryString(params: Record<string, string | number | undefined | null>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}
