/**
 * The admin pages (issue 6) over real HTTP: login and session cookie, redirects, CSRF,
 * escaping, the Content-Security-Policy, write-only passwords, and each page calling the
 * API (its answers and its error messages shown).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  for (const id of Object.values(h?.services.scheduleIds ?? {})) await h.services.temporal.schedule.getHandle(id).delete().catch(() => {});
  await h?.close();
});

const XSS = '<script>alert(1)</script>';
const XSS_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const FAKE_PASSWORD = 'never-shown-Pa55word-7f3e';

interface Page { status: number; text: string; headers: Headers; location: string | null }

/** A browser's view: a cookie jar of one session, no redirect followed. */
class Browser {
  cookies = new Map<string, string>();

  async request(method: string, p: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Page> {
    const init: RequestInit = { method, redirect: 'manual', headers: { ...headers } };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) (init.headers as Record<string, string>).cookie = cookie;
    if (form) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      init.body = body.toString();
      (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(h.api.url + p, init);
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, text: await res.text(), headers: res.headers, location: res.headers.get('location') };
  }

  get(p: string) {
    return this.request('GET', p);
  }

  /** Follows a POST's 303 to the page it leads to, as a browser does. */
  async submit(p: string, form: Record<string, string | string[]>): Promise<Page & { after: Page | null }> {
    const res = await this.request('POST', p, form);
    return { ...res, after: res.status === 303 && res.location ? await this.get(res.location) : null };
  }

  async login(): Promise<void> {
    const res = await this.request('POST', '/admin/login', { token: h.api.token });
    expect(res.status).toBe(303);
  }

  /** The CSRF token the page's forms carry. */
  async csrf(p = '/admin'): Promise<string> {
    const page = await this.get(p);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    expect(token).toBeDefined();
    return token!;
  }
}

async function loggedIn(): Promise<Browser> {
  const b = new Browser();
  await b.login();
  return b;
}

function expectHtmlPage(page: Page, status = 200) {
  expect(page.status).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expectSecurityHeaders(page);
  expect(page.text).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
}

function expectSecurityHeaders(page: Page) {
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/default-src 'self'/);
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(page.headers.get('x-frame-options')).toBe('DENY');
}

/** No inline script or handler: what the CSP would block anyway is not even in the page. */
function expectNoInlineScript(html: string) {
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/^<script src="\/admin\/static\/admin\.js" defer>$/);
  expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/\sstyle\s*=/i);
}

/** What ejs's `<%= %>` makes of a text. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');

const settings = async () => (await h.api.call('GET', '/api/settings')).json;

describe('login', () => {
  test('pages redirect to the login form without a session', async () => {
    const b = new Browser();
    for (const p of ['/admin', '/admin/', '/admin/sync-models', '/admin/logs?level=error', '/admin/sync-models/1', '/admin/no-such-page']) {
      const res = await b.get(p);
      expect(res.status).toBe(303);
      expect(res.location).toMatch(/^\/admin\/login/);
    }
    expect((await b.get('/admin/sync-models')).location).toBe('/admin/login?next=%2Fadmin%2Fsync-models');
    // A POST without a session is not carried out either.
    const post = await b.request('POST', '/admin/settings', { timeBudgetSeconds: '7' });
    expect(post.status).toBe(303);
    expect(post.location).toBe('/admin/login');
    expect((await settings()).timeBudgetSeconds).not.toBe(7);
    // The live preview answers JSON, not a redirect.
    const json = await b.get('/admin/sync-models/1/preview.json');
    expect(json.status).toBe(401);
    expect(JSON.parse(json.text).error.code).toBe('unauthorized');
  });

  test('the login form, a wrong token (401), the right one (an HttpOnly SameSite=Strict session cookie)', async () => {
    const b = new Browser();
    const form = await b.get('/admin/login');
    expectHtmlPage(form);
    expect(form.text).toMatch(/<form method="post" action="\/admin\/login"/);
    expect(form.text).toMatch(/type="password" name="token"/);
    expectNoInlineScript(form.text);

    const wrong = await b.request('POST', '/admin/login', { token: 'not-the-token' });
    expectHtmlPage(wrong, 401);
    expect(wrong.text).toMatch(/That is not the admin token/);
    expect(wrong.headers.getSetCookie().filter((c) => c.startsWith('admin_session='))).toEqual([]);
    expect((await b.request('POST', '/admin/login', {})).status).toBe(401);
    expect((await b.request('POST', '/admin/login', { token: h.api.token + 'x' })).status).toBe(401);

    // Guessing: past 10 wrong tokens the form makes the address wait (429), the right token too.
    // (2 wrong tokens were sent above; the empty form does not count.)
    for (let i = 0; i < 9; i++) expect((await b.request('POST', '/admin/login', { token: `guess-${i}` })).status).toBe(401);
    const held = await b.request('POST', '/admin/login', { token: h.api.token });
    expectHtmlPage(held, 429);
    expect(held.text).toMatch(/Too many wrong tokens from this address: try again in 1 s/);
    expect(held.headers.get('retry-after')).toBe('1');
    await new Promise((r) => setTimeout(r, 1100));

    const right = await b.request('POST', '/admin/login', { token: h.api.token });
    expect(right.status).toBe(303);
    expect(right.location).toBe('/admin');
    const [cookie] = right.headers.getSetCookie().filter((c) => c.startsWith('admin_session='));
    expect(cookie).toBeDefined();
    const attrs = cookie!.split(';').map((s) => s.trim());
    expect(attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/admin']));
    expect(cookie).not.toContain(h.api.token);
    expectHtmlPage(await b.get('/admin'));
    // Logged in, the login page sends you on.
    expect((await b.get('/admin/login')).location).toBe('/admin');
  });

  test('after login the browser goes back to the page it asked for, and only to an admin page', async () => {
    const b = new Browser();
    expect((await b.request('POST', '/admin/login', { token: h.api.token, next: '/admin/logs?level=error' })).location).toBe('/admin/logs?level=error');
    const c = new Browser();
    for (const next of ['https://evil.example/', '//evil.example/admin', '/admin/../api/settings', '/api/settings']) {
      expect((await c.request('POST', '/admin/login', { token: h.api.token, next })).location).toBe('/admin');
    }
  });

  test('a forged, tampered or expired cookie is no session', async () => {
    const b = await loggedIn();
    const real = b.cookies.get('admin_session')!;
    const [id, expiry, mac] = real.split('.');
    for (const forged of [`${id}.${expiry}.${mac!.slice(0, -2)}xx`, `${id}x.${expiry}.${mac}`, `${id}.${Number(expiry) + 3600}.${mac}`, `${id}.1.${mac}`, 'garbage', '']) {
      const other = new Browser();
      other.cookies.set('admin_session', forged);
      expect((await other.get('/admin')).status).toBe(303);
    }
  });

  test('logout (a POST with its CSRF token) ends the session in the browser', async () => {
    const b = await loggedIn();
    const csrf = await b.csrf();
    expect((await b.request('POST', '/admin/logout', {})).status).toBe(403);
    const out = await b.request('POST', '/admin/logout', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.location).toBe('/admin/login');
    expect(out.headers.getSetCookie().some((c) => /^admin_session=;.*Max-Age=0/.test(c))).toBe(true);
    expect((await b.get('/admin')).status).toBe(303);
  });
});

describe('CSRF', () => {
  test('a POST without the session\'s token is refused with 403, and nothing changes', async () => {
    const b = await loggedIn();
    const before = await settings();
    const refusals = [
      await b.request('POST', '/admin/settings', { timeBudgetSeconds: '11', logRetentionDays: '3' }),
      await b.request('POST', '/admin/settings', { timeBudgetSeconds: '11', _csrf: 'wrong' }),
      await b.request('POST', '/admin/settings', { timeBudgetSeconds: '11', _csrf: await (await loggedIn()).csrf() }), // another session's
      await b.request('POST', '/admin/sync-models', { model: 'res.partner', folderName: 'Forged' }),
      await b.request('POST', '/admin/connection/reset', {}),
    ];
    for (const r of refusals) {
      expectHtmlPage(r, 403);
      expect(r.text).toMatch(/CSRF token is missing or wrong/);
    }
    const json = await fetch(`${h.api.url}/admin/settings`, {
      method: 'POST', headers: { cookie: `admin_session=${b.cookies.get('admin_session')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ timeBudgetSeconds: 11 }),
    });
    expect(json.status).toBe(403);
    expect(await settings()).toEqual(before);
    expect((await h.api.call('GET', '/api/sync-models')).json.filter((m: { folderName: string }) => m.folderName === 'Forged')).toEqual([]);
  });

  test('with the token the same POST goes through', async () => {
    const b = await loggedIn();
    const res = await b.submit('/admin/settings', { _csrf: await b.csrf(), timeBudgetSeconds: '600', logSyncActivities: '1', logRetentionDays: '14', maxDeleteShare: '0.3' });
    expect(res.status).toBe(303);
    expect(res.after!.text).toMatch(/Settings saved/);
    expect(await settings()).toEqual({ timeBudgetSeconds: 600, logSyncActivities: true, logRetentionDays: 14, maxDeleteShare: 0.3 });
    expect(res.after!.text).toMatch(/name="timeBudgetSeconds" min="1" value="600"/);
    // The flash message is shown once.
    expect((await b.get('/admin')).text).not.toMatch(/Settings saved/);
  });

  test('no GET changes anything: every form that does is a POST with the token', async () => {
    const b = await loggedIn();
    const created = await h.api.call('POST', '/api/sync-models', { model: 'res.users', folderName: 'CSRF forms' });
    for (const p of ['/admin', '/admin/sync-models', `/admin/sync-models/${created.json.id}`, '/admin/logs']) {
      const html = (await b.get(p)).text;
      const forms = html.match(/<form\b[^>]*>[\s\S]*?<\/form>/g) ?? [];
      expect(forms.length).toBeGreaterThan(0);
      for (const form of forms) {
        if (/method="get"/.test(form)) continue;
        expect(form).toMatch(/^<form method="post"/);
        expect(form).toMatch(/name="_csrf" value="[^"]+"/);
      }
    }
    await h.api.call('DELETE', `/api/sync-models/${created.json.id}`);
  });
});

describe('escaping', () => {
  test('a sync model, a record and a log line named <script>alert(1)</script> show as text', async () => {
    const b = await loggedIn();
    const model = await h.api.call('POST', '/api/sync-models', { model: 'x_escape', folderName: XSS, nameExpression: `${XSS} \${object.name}` });
    expect(model.status).toBe(201);
    expect((await h.api.call('POST', '/api/records', { model: 'x_escape', name: XSS })).status).toBe(201);
    await h.services.log.write({ direction: 'direct', level: 'error', message: `failed ${XSS}`, model: 'x_escape', path: `/Odoo/${XSS}` });

    const pages = [
      await b.get('/admin/sync-models'),
      await b.get(`/admin/sync-models/${model.json.id}`),
      await b.get('/admin/logs?model=x_escape'),
    ];
    for (const page of pages) {
      expectHtmlPage(page);
      expect(page.text).toContain(XSS_ESCAPED);
      expect(page.text).not.toContain(XSS);
      expectNoInlineScript(page.text);
    }
    // The preview's sample shows the record's display name and folder name as text too.
    expect(pages[1]!.text).toMatch(/<td>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td>/);
    // The live preview is JSON, put in the page with textContent by admin.js.
    const live = await b.get(`/admin/sync-models/${model.json.id}/preview.json?nameExpression=${encodeURIComponent('${object.name}')}`);
    expect(live.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(live.text).sample[0].displayName).toBe(XSS);
    await h.api.call('DELETE', `/api/sync-models/${model.json.id}`);
  });

  test('the templates print data with <%= %> only; <%- is for including partials', () => {
    const dir = path.resolve('src/admin/views');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ejs'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const raw = fs.readFileSync(path.join(dir, f), 'utf8').match(/<%-[^%]*%>/g) ?? [];
      for (const tag of raw) expect(tag).toMatch(/^<%- include\('partials\/[a-zA-Z]+'\) %>$/);
    }
  });
});

describe('the dashboard: connection, settings, schedules, status, sync', () => {
  test('renders its parts; the password is write-only, never in a page', async () => {
    const b = await loggedIn();
    const save = await b.submit('/admin/connection', {
      _csrf: await b.csrf(), action: 'save', url: h.dav.url, username: h.dav.username, password: FAKE_PASSWORD, rootFolder: 'Odoo',
    });
    expect(save.status).toBe(303);
    const page = save.after!;
    expectHtmlPage(page);
    expect(page.text).toMatch(/Connection saved \(state draft\)/);
    for (const part of ['id="status"', 'id="connection"', 'id="settings"', 'id="schedules"', 'id="sync-direct"', 'id="sync-backward"',
      'id="connection-save"', 'id="connection-confirm"', 'id="connection-reset"', 'id="queue-depth"', 'id="mutex"', 'data-confirm="Reset the cloud connection? This is irreversible']) {
      expect(page.text).toContain(part);
    }
    expect(page.text).toContain(`value="${h.dav.url}"`);
    expect(page.text).toMatch(/<input type="password" name="password" value=""/);
    expect(page.text).toMatch(/id="connection-state">draft</);
    expectNoInlineScript(page.text);
    for (const p of ['/admin', '/admin/sync-models', '/admin/logs', '/admin/sync-models/new']) {
      const html = (await b.get(p)).text;
      expect(html).not.toContain(FAKE_PASSWORD);
      expect(html).not.toContain(h.dav.password);
      expect(html).not.toContain(h.api.token);
    }
  });

  test('Login and Confirm with a wrong password shows the API\'s error; with the right one the connection is confirmed', async () => {
    const b = await loggedIn();
    const wrong = await b.request('POST', '/admin/connection', {
      _csrf: await b.csrf(), action: 'confirm', url: h.dav.url, username: h.dav.username, password: 'wrong-password', rootFolder: 'Odoo',
    });
    expectHtmlPage(wrong, 422);
    const apiMessage = (await h.api.call('GET', '/api/connection')).json.lastError as string;
    expect(apiMessage).toBeTruthy();
    expect(wrong.text).toContain(`id="connection-error">${esc(apiMessage)}<`);
    expect(wrong.text).toContain(`value="${h.dav.url}"`); // the form keeps what was typed, but the password
    expect(wrong.text).not.toContain('wrong-password');

    const missing = await b.request('POST', '/admin/connection', { _csrf: await b.csrf(), action: 'save', url: 'not a url', username: '', password: '' });
    expectHtmlPage(missing, 422);
    expect(missing.text).toMatch(/Invalid body: url: must be an http\(s\) URL/);

    const right = await b.submit('/admin/connection', {
      _csrf: await b.csrf(), action: 'confirm', url: h.dav.url, username: h.dav.username, password: h.dav.password, rootFolder: 'Odoo',
    });
    expect(right.status).toBe(303);
    expect(right.after!.text).toMatch(/Connection confirmed: logged in to/);
    expect(right.after!.text).toMatch(/id="connection-state">confirmed</);
    expect((await h.api.call('GET', '/api/connection')).json.state).toBe('confirmed');
    // Confirming again without typing the password checks the saved connection.
    const again = await b.submit('/admin/connection', { _csrf: await b.csrf(), action: 'confirm', url: h.dav.url, username: h.dav.username, password: '' });
    expect(again.after!.text).toMatch(/Connection confirmed/);
    expect(right.after!.text).not.toContain(h.dav.password);
  });

  test('settings: a bad value shows the API\'s message and changes nothing', async () => {
    const b = await loggedIn();
    const before = await settings();
    const res = await b.request('POST', '/admin/settings', { _csrf: await b.csrf(), timeBudgetSeconds: '0', logRetentionDays: 'many', maxDeleteShare: '0.2' });
    expectHtmlPage(res, 422);
    expect(res.text).toMatch(/Invalid body: timeBudgetSeconds: [^<]+; logRetentionDays: /);
    expect(res.text).toMatch(/name="logRetentionDays" min="1" value="many"/); // kept as typed
    expect(await settings()).toEqual(before);
  });

  test('schedules: every + offset, cron, paused; a bad one is refused with the API\'s message', async () => {
    const b = await loggedIn();
    const bad = await b.request('POST', '/admin/schedules', {
      _csrf: await b.csrf(), direct_mode: 'every', direct_every: '5 parsecs', backward_mode: 'cron', backward_cron: '15,45 * * * *',
    });
    expectHtmlPage(bad, 422);
    expect(bad.text).toContain(esc((await h.api.call('PUT', '/api/schedules', { direct: { every: '5 parsecs' } })).json.error.message));
    expect(bad.text).toContain('value="5 parsecs"');

    const good = await b.submit('/admin/schedules', {
      _csrf: await b.csrf(), direct_mode: 'every', direct_every: '45m', direct_offset: '5m', backward_mode: 'cron', backward_cron: '15,45 * * * *', backward_paused: '1',
    });
    expect(good.status).toBe(303);
    expect(good.after!.text).toMatch(/Schedules saved: direct next at [^,]+, backward paused/);
    const stored = (await h.api.call('GET', '/api/schedules')).json;
    expect(stored.direct).toMatchObject({ every: '45m', offset: '5m', cron: null, paused: false });
    expect(stored.backward).toMatchObject({ every: null, cron: '15,45 * * * *', paused: true });
    expect(good.after!.text).toContain('name="direct_every" value="45m"');
    expect(good.after!.text).toMatch(/name="backward_mode" value="cron" checked/);
  });

  test('the status shows the API\'s status, and Sync without a confirmed connection shows its refusal', async () => {
    const b = await loggedIn();
    await h.services.queue.enqueue('direct', [
      { kind: 'upload', dedupeKey: 'admin-test-1', payload: {} }, { kind: 'upload', dedupeKey: 'admin-test-2', payload: {} },
      { kind: 'create_folder', dedupeKey: 'admin-test-3', payload: {} },
    ], null);
    const status = (await h.api.call('GET', '/api/status')).json;
    expect(status.queue.direct.pending).toEqual({ upload: 2, create_folder: 1 });
    const page = await b.get('/admin');
    expect(page.text).toMatch(/<div class="queue-direct"><strong>direct<\/strong>: 3 pending \((upload 2, create_folder 1|create_folder 1, upload 2)\), 0 failed<\/div>/);
    expect(page.text).toMatch(/<div class="queue-backward"><strong>backward<\/strong>: 0 pending, 0 failed<\/div>/);
    expect(page.text).toContain('id="mutex">');
    await h.services.database.sql`delete from operations where dedupe_key like 'admin-test-%'`;
    expect(page.text).toMatch(/<tr class="run-direct">/);
    await h.services.connections.markError('for the test');
    const refused = await b.request('POST', '/admin/sync/backward', { _csrf: await b.csrf() });
    expectHtmlPage(refused, 409);
    expect(refused.text).toMatch(/The cloud connection is not confirmed/);
    expect((await h.api.call('POST', '/api/connection/confirm')).status).toBe(200);
  });
});

describe('sync models page', () => {
  test('create (with periods), a JSON typo kept in the form, edit, reorder, delete and restore', async () => {
    const b = await loggedIn();
    const empty = await b.get('/admin/sync-models/new');
    expectHtmlPage(empty);
    expect(empty.text).toMatch(/<form method="post" action="\/admin\/sync-models"/);

    const typo = await b.request('POST', '/admin/sync-models', { _csrf: await b.csrf(), model: 'sale.order', folderName: 'Orders', domain: '[["state", "=", ', defaultFolders: '[]', active: '1' });
    expectHtmlPage(typo, 422);
    expect(typo.text).toMatch(/domain: is not valid JSON/);
    expect(typo.text).toContain('[[&#34;state&#34;, &#34;=&#34;, </textarea>');

    const invalid = await b.request('POST', '/admin/sync-models', { _csrf: await b.csrf(), model: 'sale.order', folderName: 'Orders', domain: '[["state", "contains", "x"]]' });
    expectHtmlPage(invalid, 422);
    expect(invalid.text).toContain(esc((await h.api.call('POST', '/api/sync-models', { model: 'sale.order', folderName: 'Orders', domain: [['state', 'contains', 'x']] })).json.error.message));

    const created = await b.submit('/admin/sync-models', {
      _csrf: await b.csrf(), model: 'sale.order', folderName: 'Orders', domain: '[["state", "=", "sale"]]',
      p0_field: 'date_order', p0_direction: 'last', p0_amount: '3', p0_unit: 'months', p0_includeCurrent: '1',
      p1_field: '', p1_direction: 'last', p1_amount: '', p1_unit: 'days',
      nameExpression: '${object.name}', defaultFolders: '[{"name": "Invoices", "children": [{"name": "2026"}]}]', active: '1',
    });
    expect(created.status).toBe(303);
    const id = Number(/\/admin\/sync-models\/(\d+)$/.exec(created.location!)![1]);
    expect((await h.api.call('GET', `/api/sync-models/${id}`)).json).toMatchObject({
      model: 'sale.order', folderName: 'Orders', domain: [['state', '=', 'sale']], nameExpression: '${object.name}', active: true,
      periods: [{ field: 'date_order', direction: 'last', amount: 3, unit: 'months', includeCurrent: true }],
      defaultFolders: [{ name: 'Invoices', children: [{ name: '2026', children: [] }] }],
    });
    expect(created.after!.text).toMatch(/saved\./);
    expect(created.after!.text).toContain('id="preview-count">0<');
    expect(created.after!.text).toMatch(/<code>date_order<\/code>: \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/);

    const edited = await b.submit(`/admin/sync-models/${id}`, {
      _csrf: await b.csrf(), model: 'sale.order', folderName: 'Sale Orders', domain: '', nameExpression: '', defaultFolders: '', p0_field: '', p0_amount: '',
    });
    expect(edited.status).toBe(303);
    expect((await h.api.call('GET', `/api/sync-models/${id}`)).json).toMatchObject({ folderName: 'Sale Orders', domain: [], periods: [], nameExpression: null, active: false, defaultFolders: [] });

    const other = (await h.api.call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Partners' })).json.id as number;
    const order = async () => ((await h.api.call('GET', '/api/sync-models')).json as Array<{ id: number }>).map((m) => m.id);
    const before = await order();
    const list = await b.get('/admin/sync-models');
    expectHtmlPage(list);
    // The "up" button of the last row posts the order with the last two swapped.
    const expected = [...before];
    [expected[expected.length - 2], expected[expected.length - 1]] = [expected[expected.length - 1]!, expected[expected.length - 2]!];
    expect(list.text).toContain(`name="ids" value="${expected.join(',')}"`);
    const moved = await b.submit('/admin/sync-models/order', { _csrf: await b.csrf('/admin/sync-models'), ids: expected.join(',') });
    expect(moved.after!.text).toMatch(/Priority order saved/);
    expect(await order()).toEqual(expected);
    const stale = await b.request('POST', '/admin/sync-models/order', { _csrf: await b.csrf('/admin/sync-models'), ids: String(other) });
    expectHtmlPage(stale, 422);
    expect(stale.text).toMatch(/The order must list every sync model exactly once/);

    const deleted = await b.submit(`/admin/sync-models/${other}/delete`, { _csrf: await b.csrf('/admin/sync-models') });
    expect(deleted.after!.text).toMatch(/Sync model deleted/);
    expect(deleted.after!.text).toMatch(new RegExp(`action="/admin/sync-models/${other}/restore"`));
    expect(await order()).not.toContain(other);
    const restored = await b.submit(`/admin/sync-models/${other}/restore`, { _csrf: await b.csrf('/admin/sync-models') });
    expect(restored.after!.text).toMatch(/Sync model res.partner → Partners restored/);
    expect(await order()).toContain(other);
    const gone = await b.request('POST', '/admin/sync-models/999999/delete', { _csrf: await b.csrf('/admin/sync-models') });
    expectHtmlPage(gone, 404);
    expect(gone.text).toMatch(/Sync model 999999 does not exist/);
    expectHtmlPage(await b.get('/admin/sync-models/999999'), 404);
  });

  test('the preview, "if today", and the live preview of a name expression being typed', async () => {
    const b = await loggedIn();
    const partner = (await h.api.call('POST', '/api/records', { model: 'x_preview', name: 'Azure Interior', fields: { ref: 'AZ-1', date: '2026-03-10' } })).json;
    await h.api.call('POST', '/api/records', { model: 'x_preview', name: 'Old One', fields: { ref: 'OLD', date: '2020-01-01' } });
    const id = (await h.api.call('POST', '/api/sync-models', {
      model: 'x_preview', folderName: 'Preview', nameExpression: '${object.ref}', periods: [{ field: 'date', direction: 'last', amount: 1, unit: 'years', includeCurrent: true }],
    })).json.id as number;
    const page = await b.get(`/admin/sync-models/${id}?today=2026-06-01`);
    expectHtmlPage(page);
    const api = (await h.api.call('GET', `/api/sync-models/${id}/preview?today=2026-06-01`)).json;
    expect(api.count).toBe(1);
    expect(page.text).toContain('id="preview-count">1<');
    expect(page.text).toContain(`<code>date</code>: ${api.periods[0].from} to ${api.periods[0].to}`);
    expect(page.text).toContain('<td class="folder-name">AZ-1</td>');
    expect(page.text).toContain(`data-preview-url="/admin/sync-models/${id}/preview.json"`);
    expect(page.text).toContain('value="2026-06-01"');

    const live = async (expr: string) => JSON.parse((await b.get(`/admin/sync-models/${id}/preview.json?today=2026-06-01&nameExpression=${encodeURIComponent(expr)}`)).text);
    expect((await live('${object.name} (${object.ref})')).sample).toEqual([{ id: partner.id, displayName: 'Azure Interior', folderName: 'Azure Interior (AZ-1)' }]);
    expect((await live('')).sample[0].folderName).toBe('Azure Interior');
    const broken = await live('Files of ${object.name');
    expect(broken.errors[0]).toMatch(/^nameExpression: .*never closed by "}" \(at character 10\)/);
    expect(broken.sample[0].folderName).toBe('Azure Interior');

    const badDay = await b.get(`/admin/sync-models/${id}?today=June`);
    expectHtmlPage(badDay);
    expect(badDay.text).toMatch(/Invalid query: today: a date like 2026-12-03/);
  });
});

describe('logs page', () => {
  beforeAll(async () => {
    await h.services.log.write([
      { direction: 'direct', level: 'success', message: 'uploaded invoice-logs.pdf', model: 'x_logs', recordId: 7, path: '/Odoo/Logs/A/invoice-logs.pdf' },
      { direction: 'backward', level: 'warning', message: 'renamed back report-logs.pdf', model: 'x_logs', recordId: 8 },
      { direction: 'direct', level: 'error', message: 'upload failed for broken-logs.pdf', model: 'x_logs', recordId: 7 },
    ]);
  });

  test('search, filters, group-by counts, rows coloured by level', async () => {
    const b = await loggedIn();
    const all = await b.get('/admin/logs?model=x_logs');
    expectHtmlPage(all);
    expect(all.text).toMatch(/<tr class="level-success" data-id="\d+">/);
    expect(all.text).toMatch(/<tr class="level-warning" data-id="\d+">/);
    expect(all.text).toMatch(/<tr class="level-error" data-id="\d+">/);
    expect(all.text).toMatch(/<tr class="level-error"><th>error<\/th><td>1<\/td><\/tr>/);
    expect(all.text).toMatch(/<tr class="level-success"><th>success<\/th><td>1<\/td><\/tr>/);
    expectNoInlineScript(all.text);

    const searched = await b.get('/admin/logs?q=report-logs&model=x_logs');
    expect(searched.text).toContain('renamed back report-logs.pdf');
    expect(searched.text).not.toContain('invoice-logs.pdf</td>');

    const filtered = await b.get('/admin/logs?model=x_logs&recordId=7&level=error&direction=direct&groupBy=direction');
    expect(filtered.text).toContain('upload failed for broken-logs.pdf');
    expect(filtered.text).not.toContain('uploaded invoice-logs.pdf');
    expect(filtered.text).toMatch(/<h2>By direction<\/h2>/);
    expect(filtered.text).toMatch(/<th>direct<\/th><td>1<\/td>/);
    expect(filtered.text).toContain('name="recordId" value="7"');

    const byDay = await b.get('/admin/logs?model=x_logs&groupBy=day');
    expect(byDay.text).toMatch(new RegExp(`<th>${new Date().toISOString().slice(0, 10)}</th><td>3</td>`));

    const bad = await b.get('/admin/logs?recordId=seven&from=2026-13-45');
    expectHtmlPage(bad, 422);
    expect(bad.text).toMatch(/id="logs-error">Invalid query: /);
    expect(bad.text).toContain('recordId');
  });

  test('cursor paging', async () => {
    const b = await loggedIn();
    const first = await b.get('/admin/logs?model=x_logs&limit=20');
    expect(first.text).not.toMatch(/id="next-page"/);
    await h.services.log.write(Array.from({ length: 25 }, (_, i) => ({ direction: 'direct' as const, level: 'success' as const, message: `paging ${i}`, model: 'x_paging' })));
    const one = await b.get('/admin/logs?model=x_paging&limit=20');
    expect(one.text.match(/<tr class="level-success" data-id/g)).toHaveLength(20);
    const next = /id="next-page"/.test(one.text) ? /href="([^"]+)" id="next-page"/.exec(one.text)![1]!.replace(/&amp;/g, '&') : null;
    expect(next).toMatch(/^\/admin\/logs\?model=x_paging&groupBy=level&limit=20&cursor=\d+$/);
    const two = await b.get(next!);
    expect(two.text.match(/<tr class="level-success" data-id/g)).toHaveLength(5);
    expect(two.text).toContain('paging 0<');
    expect(two.text).not.toContain('paging 24<');
    expect(two.text).toMatch(/id="first-page"/);
  });

  test('exports with the same filters, through the session cookie', async () => {
    const b = await loggedIn();
    const page = await b.get('/admin/logs?model=x_logs&level=error');
    expect(page.text).toContain('href="/admin/logs/export?level=error&amp;model=x_logs&amp;format=csv" id="export-csv"');
    const csv = await b.get('/admin/logs/export?level=error&model=x_logs&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="sync-logs-.*\.csv"$/);
    const lines = csv.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('upload failed for broken-logs.pdf');
    const json = await b.get('/admin/logs/export?model=x_logs&format=json');
    expect(JSON.parse(json.text)).toHaveLength(3);
    expect((await new Browser().get('/admin/logs/export?format=csv')).status).toBe(303);
    const bad = await b.get('/admin/logs/export?format=csv&level=loud');
    expectHtmlPage(bad, 422);
    expect(bad.text).toMatch(/Invalid query: level/);
  });
});

describe('the rest', () => {
  test('static files need no login; unknown admin pages are an HTML 404 without a stack trace', async () => {
    const css = await fetch(`${h.api.url}/admin/static/admin.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toMatch(/tr\.level-error/);
    const js = await fetch(`${h.api.url}/admin/static/admin.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toMatch(/data-confirm/);
    expect((await fetch(`${h.api.url}/admin/static/..%2Fviews%2Flogin.ejs`, { redirect: 'manual' })).status).toBe(303);
    const b = await loggedIn();
    expectHtmlPage(await b.get('/admin/static/nope.js'), 404);
    const missing = await b.get('/admin/nowhere');
    expectHtmlPage(missing, 404);
    expect(missing.text).toMatch(/There is no admin page \/admin\/nowhere/);
  });

  test('every page carries the Content-Security-Policy', async () => {
    const b = await loggedIn();
    for (const p of ['/admin', '/admin/sync-models', '/admin/sync-models/new', '/admin/logs', '/admin/nowhere']) expectSecurityHeaders(await b.get(p));
    expectSecurityHeaders(await new Browser().get('/admin/login'));
    expectSecurityHeaders(await new Browser().get('/admin'));
  });

  test('the API keeps answering JSON under its bearer token', async () => {
    expect((await h.api.call('GET', '/api/settings')).status).toBe(200);
    const res = await fetch(`${h.api.url}/api/nowhere`, { headers: { authorization: `Bearer ${h.api.token}` } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
