/**
 * The admin pages (issue 6): `/admin` (connection, settings, schedules, status, the sync
 * buttons), `/admin/sync-models`, `/admin/logs`. Plain server-rendered HTML (ejs), a
 * little vanilla JS (`/admin/static/admin.js`) on top, every action a POST form.
 *
 * Every page calls the JSON API in-process with the admin token (`ApiClient`), so a page
 * shows what the API says, its error messages included. Login: the admin token, compared
 * in constant time, then a signed session cookie (HttpOnly, SameSite=Strict, Path=/admin);
 * each POST form carries a CSRF token derived from the session. Pages are sent with a
 * Content-Security-Policy that allows no inline script.
 */
import { Readable } from 'node:stream';
import { desc, isNotNull } from 'drizzle-orm';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { syncModels } from '../db/schema.js';
import { compileNameExpression, NameExpressionError, renderNameExpression } from '../domain/nameExpressions.js';
import { objectFolderName } from '../domain/naming.js';
import { recordReader } from '../domain/records.js';
import type { Services } from '../services.js';
import type { LoginThrottle } from '../api/loginThrottle.js';
import { tokensEqual } from '../secrets/index.js';
import { ApiClient, answer, type ApiAnswer } from './apiClient.js';
import {
  connectionBody, EMPTY_SYNC_MODEL, logFiltersOf, queryString, scheduleFormOf, scheduleForms, schedulesBody, settingsBody,
  syncModelBody, syncModelFormFrom, syncModelFormOf, type FormData, type ScheduleForm, type SyncModelForm,
} from './forms.js';
import { cookieHeader, FLASH_COOKIE, parseCookies, SESSION_COOKIE, SESSION_SECONDS, SessionKeys, type Flash, type Session } from './session.js';
import { render, staticFile } from './views.js';

export interface AdminOptions {
  adminToken: string;
  /** Shared with the API: wrong tokens count the same on the login form and on /api. */
  throttle: LoginThrottle;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
].join('; ');

interface FormError {
  form: string;
  message: string;
  fields: Record<string, string>;
}

const PUBLIC_PATHS = /^\/admin\/(login|static\/[a-z.]+)$/;

/** Registers the admin pages under /admin on the API's fastify instance. */
export function adminRoutes(app: FastifyInstance, services: Services, options: AdminOptions): void {
  void app.register(async (admin) => adminPlugin(admin, app, services, options), { prefix: '/admin' });
}

async function adminPlugin(admin: FastifyInstance, root: FastifyInstance, services: Services, options: AdminOptions): Promise<void> {
  const keys = new SessionKeys(options.adminToken);
  const api = new ApiClient(root, options.adminToken);
  const sessions = new WeakMap<FastifyRequest, Session>();

  admin.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });

  const formOf = (request: FastifyRequest): FormData => {
    if (request.body instanceof URLSearchParams) return request.body;
    if (request.body instanceof Readable) request.body.resume();
    return new URLSearchParams();
  };

  // --- cookies, flash, rendering --------------------------------------------------------
  const addCookie = (reply: FastifyReply, cookie: string) => {
    const prev = reply.getHeader('set-cookie');
    reply.header('set-cookie', [...(Array.isArray(prev) ? prev : prev === undefined ? [] : [String(prev)]), cookie]);
  };
  const secure = (request: FastifyRequest) => request.protocol === 'https';

  const redirect = (request: FastifyRequest, reply: FastifyReply, location: string, flash?: Flash) => {
    if (flash) addCookie(reply, cookieHeader(FLASH_COOKIE, keys.sealFlash(flash), { maxAge: 60, secure: secure(request) }));
    return reply.code(303).header('location', location).send();
  };

  const page = async (request: FastifyRequest, reply: FastifyReply, view: string, locals: Record<string, unknown>, status = 200) => {
    const cookies = parseCookies(request.headers.cookie);
    let flash: Flash | null = null;
    if (cookies[FLASH_COOKIE] !== undefined) {
      flash = keys.openFlash(cookies[FLASH_COOKIE]);
      addCookie(reply, cookieHeader(FLASH_COOKIE, '', { maxAge: 0, secure: secure(request) }));
    }
    const session = sessions.get(request);
    const html = await render(view, {
      view, flash, loggedIn: !!session, csrf: session ? keys.csrfToken(session) : '', formError: null, ...locals,
    });
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  };

  const failure = (form: string, a: ApiAnswer): FormError => ({ form, message: a.error ?? `The API answered ${a.status}`, fields: a.fields });

  // --- every admin response: security headers, then the session ---------------------------
  admin.addHook('onRequest', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-store');
    const path = request.url.split('?')[0]!;
    const session = keys.verify(parseCookies(request.headers.cookie)[SESSION_COOKIE]);
    if (session) sessions.set(request, session);
    if (session || PUBLIC_PATHS.test(path)) return;
    if (path.endsWith('.json')) {
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'Log in again: the admin session is missing or expired' } });
    }
    const next = request.method === 'GET' && safeNext(request.url) ? request.url : null;
    return reply.code(303).header('location', `/admin/login${next && next !== '/admin' ? queryString({ next }) : ''}`).send();
  });

  // CSRF: every POST but the login form carries the token of its session.
  admin.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.url.split('?')[0] === '/admin/login') return;
    const session = sessions.get(request);
    if (!session || !keys.checkCsrf(session, formOf(request).get('_csrf'))) {
      return page(request, reply, 'error', {
        title: 'Refused', status: 403,
        message: 'This form is out of date or did not come from these pages (its CSRF token is missing or wrong). Reload the page and try again.',
      }, 403);
    }
  });

  admin.setErrorHandler(async (err: FastifyError, request, reply) => {
    const clientError = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500;
    if (!clientError) request.log.error({ err }, 'admin page failed');
    const status = clientError ? err.statusCode! : 500;
    const message = clientError ? err.message : 'Something went wrong on our side; the service log has the details.';
    try {
      return await page(request, reply, 'error', { title: 'Error', status, message }, status);
    } catch {
      return reply.code(status).type('text/plain; charset=utf-8').send(message);
    }
  });

  admin.setNotFoundHandler(async (request, reply) => page(request, reply, 'error', {
    title: 'Not found', status: 404, message: `There is no admin page ${request.url.split('?')[0]}.`,
  }, 404));

  // --- static files, login, logout --------------------------------------------------------
  admin.get('/static/:name', async (request, reply) => {
    const file = await staticFile((request.params as { name: string }).name);
    if (!file) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').type(file.type).send(file.body);
  });

  admin.get('/login', async (request, reply) => {
    const next = (request.query as { next?: string }).next;
    if (sessions.has(request)) return redirect(request, reply, next && safeNext(next) ? next : '/admin');
    return page(request, reply, 'login', { title: 'Log in', error: null, next: next && safeNext(next) ? next : '' });
  });

  admin.post('/login', async (request, reply) => {
    const form = formOf(request);
    const token = form.get('token') ?? '';
    const next = form.get('next') ?? '';
    const wait = options.throttle.waitMs(request.ip);
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return page(request, reply, 'login', { title: 'Log in', error: `Too many wrong tokens from this address: try again in ${Math.ceil(wait / 1000)} s.`, next: safeNext(next) ? next : '' }, 429);
    }
    if (!token || !tokensEqual(token.trim(), options.adminToken)) {
      if (token) options.throttle.failed(request.ip);
      return page(request, reply, 'login', { title: 'Log in', error: 'That is not the admin token.', next: safeNext(next) ? next : '' }, 401);
    }
    options.throttle.succeeded(request.ip);
    const { cookie } = keys.issue();
    addCookie(reply, cookieHeader(SESSION_COOKIE, cookie, { maxAge: SESSION_SECONDS, secure: secure(request) }));
    return redirect(request, reply, safeNext(next) ? next : '/admin');
  });

  admin.post('/logout', async (request, reply) => {
    addCookie(reply, cookieHeader(SESSION_COOKIE, '', { maxAge: 0, secure: secure(request) }));
    return redirect(request, reply, '/admin/login');
  });

  // --- /admin: connection, settings, schedules, status, sync ------------------------------
  interface DashboardOver {
    status?: number;
    formError?: FormError;
    connectionForm?: Record<string, unknown>;
    settingsForm?: Record<string, unknown>;
    schedulesForm?: Record<'direct' | 'backward', ScheduleForm>;
  }

  const dashboard = async (request: FastifyRequest, reply: FastifyReply, over: DashboardOver = {}) => {
    const [connection, settings, schedules, status] = await Promise.all([
      api.call('GET', '/api/connection'), api.call('GET', '/api/settings'), api.call('GET', '/api/schedules'), api.call('GET', '/api/status'),
    ]);
    const conn = connection.ok && connection.json?.state !== 'unconfigured' ? connection.json : null;
    const s = settings.json ?? {};
    return page(request, reply, 'dashboard', {
      title: 'Status and settings',
      connection: conn, connectionError: connection.error,
      connectionForm: over.connectionForm ?? { url: conn?.url ?? '', username: conn?.username ?? '', rootFolder: conn?.rootFolder ?? 'Odoo', publicUrls: !!conn?.publicUrls },
      settingsError: settings.error,
      settingsForm: over.settingsForm ?? {
        timeBudgetSeconds: String(s.timeBudgetSeconds ?? ''), logSyncActivities: !!s.logSyncActivities,
        logRetentionDays: String(s.logRetentionDays ?? ''), maxDeleteShare: String(s.maxDeleteShare ?? ''),
      },
      schedules: schedules.ok ? schedules.json : null, schedulesError: schedules.error,
      schedulesForm: over.schedulesForm ?? { direct: scheduleFormOf(schedules.json?.direct), backward: scheduleFormOf(schedules.json?.backward) },
      status: status.ok ? status.json : null, statusError: status.error,
      formError: over.formError ?? null,
    }, over.status ?? 200);
  };

  admin.get('/', async (request, reply) => dashboard(request, reply));

  admin.post('/connection', async (request, reply) => {
    const form = formOf(request);
    const body = connectionBody(form);
    const connectionForm = { url: body.url, username: body.username, rootFolder: body.rootFolder, publicUrls: body.publicUrls };
    const confirm = form.get('action') === 'confirm';
    // "Login and Confirm" saves first when a password was typed; without one it confirms what is saved.
    if (!confirm || body.password) {
      const saved = await api.call('PUT', '/api/connection', body);
      if (!saved.ok) return dashboard(request, reply, { status: saved.status, formError: failure('connection', saved), connectionForm });
      if (!confirm) return redirect(request, reply, '/admin', { kind: 'ok', message: `Connection saved (state ${saved.json.state}): "Login and Confirm" checks it.` });
    }
    const confirmed = await api.call('POST', '/api/connection/confirm');
    if (!confirmed.ok) return dashboard(request, reply, { status: confirmed.status, formError: failure('connection', confirmed), connectionForm });
    return redirect(request, reply, '/admin', { kind: 'ok', message: `Connection confirmed: logged in to ${confirmed.json.url} as ${confirmed.json.username}.` });
  });

  admin.post('/connection/reset', async (request, reply) => {
    const reset = await api.call('POST', '/api/connection/reset');
    if (!reset.ok) return dashboard(request, reply, { status: reset.status, formError: failure('reset', reset) });
    const { erased, stoppedRuns } = reset.json as { erased: { cloudItems: number; operations: number }; stoppedRuns: string[] };
    return redirect(request, reply, '/admin', {
      kind: 'ok',
      message: `Connection reset: ${erased.cloudItems} cloud items forgotten, ${erased.operations} queued operations dropped, ${stoppedRuns.length} running sync(s) stopped.`,
    });
  });

  admin.post('/settings', async (request, reply) => {
    const form = formOf(request);
    const saved = await api.call('PATCH', '/api/settings', settingsBody(form));
    if (!saved.ok) {
      return dashboard(request, reply, {
        status: saved.status, formError: failure('settings', saved),
        settingsForm: {
          timeBudgetSeconds: form.get('timeBudgetSeconds') ?? '', logSyncActivities: form.has('logSyncActivities'),
          logRetentionDays: form.get('logRetentionDays') ?? '', maxDeleteShare: form.get('maxDeleteShare') ?? '',
        },
      });
    }
    return redirect(request, reply, '/admin', { kind: 'ok', message: 'Settings saved.' });
  });

  admin.post('/schedules', async (request, reply) => {
    const forms = scheduleForms(formOf(request));
    const saved = await api.call('PUT', '/api/schedules', schedulesBody(forms));
    if (!saved.ok) return dashboard(request, reply, { status: saved.status, formError: failure('schedules', saved), schedulesForm: forms });
    const next = (d: string) => saved.json?.[d]?.paused ? 'paused' : `next at ${saved.json?.[d]?.nextRunAt ?? 'unknown'}`;
    return redirect(request, reply, '/admin', { kind: 'ok', message: `Schedules saved: direct ${next('direct')}, backward ${next('backward')}.` });
  });

  for (const direction of ['direct', 'backward'] as const) {
    admin.post(`/sync/${direction}`, async (request, reply) => {
      const fullScan = direction === 'direct' && formOf(request).has('fullScan');
      const started = await api.call('POST', `/api/sync/${direction}`, fullScan ? { fullScan: true } : undefined);
      if (!started.ok) return dashboard(request, reply, { status: started.status, formError: failure('sync', started) });
      const { workflowId, queuedBehind } = started.json as { workflowId: string; queuedBehind: string | null };
      return redirect(request, reply, '/admin', {
        kind: 'ok',
        message: `${direction === 'direct' ? 'Sync' : 'Backward Sync'} started: workflow ${workflowId}; ${queuedBehind ? `queued behind ${queuedBehind}, it starts when that run is done` : 'nothing queued ahead of it'}.`,
      });
    });
  }

  admin.post('/queue/acknowledge-deletions', async (request, reply) => {
    const done = await api.call('POST', '/api/queue/acknowledge-deletions');
    if (!done.ok) return dashboard(request, reply, { status: done.status, formError: failure('deletions', done) });
    return redirect(request, reply, '/admin', { kind: 'ok', message: 'Deletions acknowledged: the next Backward Sync unlinks them.' });
  });

  // --- /admin/sync-models -----------------------------------------------------------------
  const idOf = (request: FastifyRequest): string => encodeURIComponent((request.params as { id: string }).id);

  const listPage = async (request: FastifyRequest, reply: FastifyReply, over: { status?: number; formError?: FormError } = {}) => {
    const list = await api.call('GET', '/api/sync-models');
    const models = (list.ok ? list.json as Array<{ id: number }> : []).map((m, i, all) => {
      const ids = all.map((x) => x.id);
      const swap = (j: number) => {
        const order = [...ids];
        [order[i], order[j]] = [order[j]!, order[i]!];
        return order.join(',');
      };
      return { ...m, upOrder: i > 0 ? swap(i - 1) : null, downOrder: i < all.length - 1 ? swap(i + 1) : null };
    });
    // The API lists no deleted presets; their restore button needs their ids (read-only).
    const deleted = await services.database.db.select({ id: syncModels.id, model: syncModels.model, folderName: syncModels.folderName, deletedAt: syncModels.deletedAt })
      .from(syncModels).where(isNotNull(syncModels.deletedAt)).orderBy(desc(syncModels.deletedAt)).limit(100);
    return page(request, reply, 'syncModels', {
      title: 'Sync models', models, listError: list.error,
      deleted: deleted.map((d) => ({ ...d, deletedAt: d.deletedAt?.toISOString() ?? null })),
      formError: over.formError ?? null,
    }, over.status ?? 200);
  };

  const editPage = async (request: FastifyRequest, reply: FastifyReply, id: string | null, over: { status?: number; formError?: FormError; form?: SyncModelForm } = {}) => {
    let stored: any = null;
    let preview: ApiAnswer | null = null;
    const today = (request.query as { today?: string }).today ?? '';
    if (id !== null) {
      const got = await api.call('GET', `/api/sync-models/${id}`);
      if (!got.ok) return page(request, reply, 'error', { title: 'Sync model', status: got.status, message: got.error }, got.status);
      stored = got.json;
      preview = await api.call('GET', `/api/sync-models/${id}/preview${queryString({ today })}`);
    }
    return page(request, reply, 'syncModelForm', {
      title: stored ? `Sync model ${stored.model} → ${stored.folderName}` : 'New sync model',
      stored, form: over.form ?? (stored ? syncModelFormOf(stored) : EMPTY_SYNC_MODEL),
      preview: preview?.ok ? preview.json : null, previewError: preview?.error ?? null, today,
      formError: over.formError ?? null,
    }, over.status ?? 200);
  };

  admin.get('/sync-models', async (request, reply) => listPage(request, reply));
  admin.get('/sync-models/new', async (request, reply) => editPage(request, reply, null));
  admin.get('/sync-models/:id', async (request, reply) => editPage(request, reply, idOf(request)));

  const saveModel = async (request: FastifyRequest, reply: FastifyReply, id: string | null) => {
    const form = syncModelFormFrom(formOf(request));
    const converted = syncModelBody(form);
    if ('errors' in converted) {
      const message = Object.entries(converted.errors).map(([k, v]) => `${k}: ${v}`).join('; ');
      return editPage(request, reply, id, { status: 422, form, formError: { form: 'syncModel', message, fields: converted.errors } });
    }
    const saved = id === null
      ? await api.call('POST', '/api/sync-models', converted.body)
      : await api.call('PATCH', `/api/sync-models/${id}`, converted.body);
    if (!saved.ok) return editPage(request, reply, id, { status: saved.status, form, formError: failure('syncModel', saved) });
    return redirect(request, reply, `/admin/sync-models/${saved.json.id}`, { kind: 'ok', message: `Sync model ${saved.json.model} → ${saved.json.folderName} saved.` });
  };

  admin.post('/sync-models', async (request, reply) => saveModel(request, reply, null));
  admin.post('/sync-models/:id', async (request, reply) => saveModel(request, reply, idOf(request)));

  admin.post('/sync-models/order', async (request, reply) => {
    const ids = (formOf(request).get('ids') ?? '').split(',').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const done = await api.call('PUT', '/api/sync-models/order', { ids });
    if (!done.ok) return listPage(request, reply, { status: done.status, formError: failure('order', done) });
    return redirect(request, reply, '/admin/sync-models', { kind: 'ok', message: 'Priority order saved.' });
  });

  admin.post('/sync-models/:id/delete', async (request, reply) => {
    const done = await api.call('DELETE', `/api/sync-models/${idOf(request)}`);
    if (!done.ok) return listPage(request, reply, { status: done.status, formError: failure('list', done) });
    return redirect(request, reply, '/admin/sync-models', { kind: 'ok', message: 'Sync model deleted: it is kept as a preset below, and its cloud folder stays.' });
  });

  admin.post('/sync-models/:id/restore', async (request, reply) => {
    const done = await api.call('POST', `/api/sync-models/${idOf(request)}/restore`);
    if (!done.ok) return listPage(request, reply, { status: done.status, formError: failure('list', done) });
    return redirect(request, reply, '/admin/sync-models', { kind: 'ok', message: `Sync model ${done.json.model} → ${done.json.folderName} restored, at its old place in the priority order.` });
  });

  /**
   * The live preview behind the form's name expression (admin.js): the API's preview of
   * the stored sync model, its sample folders renamed with the expression being typed, the
   * same way the sync names them.
   */
  admin.get('/sync-models/:id/preview.json', async (request, reply) => {
    const id = idOf(request);
    const { today, nameExpression } = request.query as { today?: string; nameExpression?: string };
    const [model, preview] = await Promise.all([
      api.call('GET', `/api/sync-models/${id}`),
      api.call('GET', `/api/sync-models/${id}/preview${queryString({ today })}`),
    ]);
    if (!model.ok) return reply.code(model.status).send(model.json);
    if (!preview.ok) return reply.code(preview.status).send(preview.json);
    const out = preview.json as { sample: Array<{ id: number; displayName: string; folderName: string }>; errors: string[] };
    if (typeof nameExpression !== 'string' || nameExpression === (model.json.nameExpression ?? '')) return out;
    const errors = out.errors.filter((e) => !e.startsWith('nameExpression:'));
    let compiled: ReturnType<typeof compileNameExpression> | null = null;
    if (nameExpression.trim() !== '') {
      try {
        compiled = compileNameExpression(nameExpression);
      } catch (err) {
        if (!(err instanceof NameExpressionError)) throw err;
        errors.unshift(`nameExpression: ${err.message} (at character ${err.position + 1}); folders get the display name`);
      }
    }
    const sample = await Promise.all(out.sample.map(async (s) => {
      if (!compiled) return { ...s, folderName: objectFolderName(s.displayName, null, s.id) };
      const rec = await api.call('GET', `/api/records/${encodeURIComponent(model.json.model)}/${s.id}`);
      if (!rec.ok) return s;
      const record = { model: rec.json.model, id: rec.json.id, displayName: rec.json.displayName, fields: rec.json.fields ?? {}, writeDate: rec.json.writeDate };
      return { ...s, folderName: objectFolderName(s.displayName, renderNameExpression(compiled, recordReader(record)), s.id) };
    }));
    return { ...out, sample, errors };
  });

  // --- /admin/logs --------------------------------------------------------------------------
  admin.get('/logs', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const filters = logFiltersOf(query);
    const groupBy = ['level', 'direction', 'month', 'day'].includes(query.groupBy ?? '') ? query.groupBy! : 'level';
    const limit = ['20', '50', '100', '200', '500'].includes(query.limit ?? '') ? query.limit! : '50';
    const cursor = query.cursor && /^\d+$/.test(query.cursor) ? query.cursor : undefined;
    const [logs, summary] = await Promise.all([
      api.call('GET', `/api/logs${queryString({ ...filters, limit, cursor })}`),
      api.call('GET', `/api/logs/summary${queryString({ ...filters, groupBy })}`),
    ]);
    const status = !logs.ok ? logs.status : !summary.ok ? summary.status : 200;
    return page(request, reply, 'logs', {
      title: 'Sync logs', filters, groupBy, limit, cursor: cursor ?? null,
      items: logs.ok ? logs.json.items : [], logsError: logs.error,
      summary: summary.ok ? summary.json.groups : [], summaryError: logs.ok ? summary.error : null,
      nextHref: logs.ok && logs.json.nextCursor ? `/admin/logs${queryString({ ...filters, groupBy, limit, cursor: logs.json.nextCursor })}` : null,
      firstHref: cursor ? `/admin/logs${queryString({ ...filters, groupBy, limit })}` : null,
      exportCsv: `/admin/logs/export${queryString({ ...filters, format: 'csv' })}`,
      exportJson: `/admin/logs/export${queryString({ ...filters, format: 'json' })}`,
    }, status);
  });

  admin.get('/logs/export', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const format = query.format === 'json' ? 'json' : 'csv';
    const res = await api.stream('GET', `/api/logs/export${queryString({ ...logFiltersOf(query), format })}`);
    if (res.status >= 400) {
      let body = '';
      for await (const chunk of res.body) body += String(chunk);
      const failed = answer(res.status, body);
      return page(request, reply, 'error', { title: 'Export', status: res.status, message: failed.error }, res.status);
    }
    for (const name of ['content-type', 'content-disposition'] as const) {
      if (typeof res.headers[name] === 'string') reply.header(name, res.headers[name]);
    }
    return reply.code(res.status).send(res.body);
  });
}

/** Where a login may send the browser back to: an admin page of this site, nothing else. */
function safeNext(next: string): boolean {
  return /^\/admin(\/[A-Za-z0-9._~\-/]*)?(\?[^\s\\]*)?$/.test(next) && !next.includes('//') && !next.includes('..');
}
