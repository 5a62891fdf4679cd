/**
 * The admin pages in a real browser (Debian's headless Chromium, driven by playwright-core):
 * log in, save and confirm the connection on Apache, create two sync models and reorder
 * them, watch the preview follow the name expression as it is typed, start a sync that the
 * worker runs, and find its log lines by search and filter. One screenshot per page goes to
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1 (else to the test's temporary folder).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createHarness, type Harness } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1'
  ? path.resolve('docs/screenshots')
  : path.join(process.env.TEST_ROOT ?? '/tmp', 'admin-screenshots');

let h: Harness;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  await fs.access(CHROMIUM).catch(() => {
    throw new Error(`${CHROMIUM} is missing: bash scripts/setup.sh installs Debian's chromium`);
  });
  h = await createHarness({ worker: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  // A CSP violation or a script error shows in the console: the pages must have none.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  // Every answer is a success or a redirect, but the wrong login's 401.
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.status() === 401 && new URL(r.url()).pathname === '/admin/login')) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await fs.mkdir(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const url = (p: string) => h.api.url + p;
const flash = () => page.locator('.flash-ok').innerText();
const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

test('log in, connect, sync models, preview, sync, logs: as an admin does it', async () => {
  // Some ERP data: three partners with a file each (one a company).
  const partners: Array<{ id: number; name: string }> = [];
  for (const [name, ref, isCompany] of [['Azure Interior', 'AZ', true], ['Deco Addict', 'DA', false], ['Gemini Furniture', 'GF', false]] as const) {
    const r = await h.api.call('POST', '/api/records', { model: 'res.partner', name, fields: { ref, is_company: isCompany } });
    expect(r.status).toBe(201);
    partners.push({ id: r.json.id, name });
    const file = `${ref.toLowerCase()}-invoice.pdf`;
    expect((await h.api.call('POST', `/api/records/res.partner/${r.json.id}/attachments?name=${file}`, `%PDF-1.4 ${name}`, { 'content-type': 'application/pdf' })).status).toBe(201);
  }

  // --- login ------------------------------------------------------------------------------
  await page.goto(url('/admin'));
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.fill('input[name=token]', 'not-the-token');
  await page.click('button[type=submit]');
  await expectText(page.locator('.flash-error'), /That is not the admin token/);
  await page.fill('input[name=token]', h.api.token);
  await page.click('button[type=submit]');
  await page.waitForURL(url('/admin'));
  const cookie = (await page.context().cookies()).find((c) => c.name === 'admin_session');
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
  expect(await page.evaluate('document.cookie')).not.toContain('admin_session'); // HttpOnly: no script reads it

  // --- connection: Save, then Login and Confirm --------------------------------------------
  await page.fill('#connection input[name=url]', h.dav.url);
  await page.fill('#connection input[name=username]', h.dav.username);
  await page.fill('#connection input[name=password]', h.dav.password);
  await page.click('#connection-save');
  expect(await flash()).toMatch(/Connection saved \(state draft\)/);
  expect(await page.inputValue('#connection input[name=password]')).toBe(''); // write-only
  await page.click('#connection-confirm');
  expect(await flash()).toMatch(/Connection confirmed: logged in to/);
  expect(await page.locator('#connection-state').innerText()).toBe('confirmed');
  expect(await page.content()).not.toContain(h.dav.password);

  // Reset asks first (admin.js's confirm()); dismissed, nothing happens.
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.click('#connection-reset');
  expect(asked).toMatch(/irreversible/);
  expect(new URL(page.url()).pathname).toBe('/admin');
  expect((await h.api.call('GET', '/api/connection')).json.state).toBe('confirmed');

  // --- two sync models, reordered -----------------------------------------------------------
  await page.goto(url('/admin/sync-models'));
  await page.click('#new-sync-model');
  await page.fill('input[name=model]', 'res.partner');
  await page.fill('input[name=folderName]', 'Contacts');
  await page.fill('input[name=nameExpression]', '${object.name}');
  await page.click('#sync-model-save');
  expect(await flash()).toMatch(/Sync model res.partner → Contacts saved/);
  const contactsUrl = page.url();
  expect(await page.locator('#preview-count').innerText()).toBe('3');

  await page.goto(url('/admin/sync-models/new'));
  await page.fill('input[name=model]', 'res.partner');
  await page.fill('input[name=folderName]', 'Companies');
  await page.fill('textarea[name=domain]', '[["is_company", "=", true]]');
  await page.click('#add-period'); // admin.js adds a row; left blank, it is no period
  expect(await page.locator('#periods tr.period-row').count()).toBe(2);
  await page.click('#sync-model-save');
  expect(await flash()).toMatch(/Companies saved/);
  expect(await page.locator('#preview-count').innerText()).toBe('1');
  expect(await page.locator('#preview-sample td.folder-name').allInnerTexts()).toEqual(['Azure Interior']);

  await page.goto(url('/admin/sync-models'));
  const folders = () => page.locator('#sync-models td.folder-name').allInnerTexts();
  expect(await folders()).toEqual(['Contacts', 'Companies']);
  await page.click('button[aria-label="Move Companies up"]');
  expect(await flash()).toMatch(/Priority order saved/);
  expect(await folders()).toEqual(['Companies', 'Contacts']);
  expect(((await h.api.call('GET', '/api/sync-models')).json as Array<{ folderName: string }>).map((m) => m.folderName)).toEqual(['Companies', 'Contacts']);
  await shot('sync-models');

  // --- the preview follows the name expression as it is typed --------------------------------
  await page.goto(contactsUrl);
  const sampleFolders = () => page.locator('#preview-sample td.folder-name').allInnerTexts();
  expect((await sampleFolders()).sort()).toEqual(['Azure Interior', 'Deco Addict', 'Gemini Furniture']);
  await page.fill('#nameExpression', '${object.ref} - ${object.name}');
  await expectText(page.locator('#preview-sample'), /DA - Deco Addict/);
  expect((await sampleFolders()).sort()).toEqual(['AZ - Azure Interior', 'DA - Deco Addict', 'GF - Gemini Furniture']);
  await page.fill('#nameExpression', '${object.name');
  await expectText(page.locator('#preview-errors'), /never closed by "}"/);
  // Not saved: the stored expression is unchanged.
  expect((await h.api.call('GET', `/api/sync-models/${contactsUrl.split('/').pop()}`)).json.nameExpression).toBe('${object.name}');

  // --- Sync: the worker runs it; the status shows the run ------------------------------------
  await page.goto(url('/admin'));
  await page.click('#sync-direct');
  const started = await flash();
  expect(started).toMatch(/Sync started: workflow \S+; nothing queued ahead of it/);
  const workflowId = /workflow (\S+);/.exec(started)![1]!;
  const summary = await h.services.temporal.workflow.getHandle(workflowId).result() as { outcome: string; failed: number };
  expect(summary).toMatchObject({ outcome: 'completed', failed: 0 });
  await page.reload();
  await expectText(page.locator('tr.run-direct'), new RegExp(`${workflowId}[\\s\\S]*completed`));
  await shot('admin');

  // --- the log lines of that sync: search and filters ----------------------------------------
  await page.goto(url('/admin/logs'));
  await page.fill('input[name=q]', 'da-invoice.pdf');
  await page.click('#log-search');
  const messages = () => page.locator('#logs td.message').allInnerTexts();
  const found = await messages();
  expect(found.length).toBeGreaterThan(0);
  for (const m of found) expect(m).toContain('da-invoice.pdf');
  expect(found.some((m) => /^Uploaded da-invoice\.pdf/.test(m))).toBe(true);
  expect(await page.locator('#logs tr.level-success').count()).toBe(found.length); // green rows

  const deco = partners.find((p) => p.name === 'Deco Addict')!;
  await page.goto(url('/admin/logs'));
  await page.selectOption('select[name=level]', 'success');
  await page.selectOption('select[name=direction]', 'direct');
  await page.fill('input[name=model]', 'res.partner');
  await page.fill('input[name=recordId]', String(deco.id));
  await page.selectOption('select[name=groupBy]', 'direction');
  await page.click('#log-search');
  const filtered = await messages();
  expect(filtered.length).toBeGreaterThan(0);
  expect(filtered.some((m) => m.includes('da-invoice.pdf'))).toBe(true);
  expect(filtered.some((m) => m.includes('az-invoice.pdf') || m.includes('gf-invoice.pdf'))).toBe(false);
  await expectText(page.locator('#log-summary'), /By direction[\s\S]*direct/);
  const params = new URL(page.url()).searchParams;
  expect(Object.fromEntries(params)).toMatchObject({ level: 'success', direction: 'direct', model: 'res.partner', recordId: String(deco.id), groupBy: 'direction' });

  // The export link downloads with the same filters, through the session cookie.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = await fs.readFile((await download.path())!, 'utf8');
  expect(csv.trim().split('\n').length).toBe(filtered.length + 1);
  expect(csv).toContain('da-invoice.pdf');

  await page.goto(url('/admin/logs?model=res.partner'));
  await shot('logs');

  expect(problems).toEqual([]);
  for (const name of ['admin', 'sync-models', 'logs']) expect((await fs.stat(path.join(SCREENSHOTS, `${name}.png`))).size).toBeGreaterThan(10_000);
}, 240_000);

async function expectText(locator: ReturnType<Page['locator']>, pattern: RegExp) {
  await locator.first().waitFor();
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = (await locator.allInnerTexts()).join('\n');
    if (pattern.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(text).toMatch(pattern);
}
