/**
 * `npm run bench:backward`: what an incremental backward scan costs.
 *
 * Starts its own PostgreSQL, Temporal dev server and Apache mod_dav; builds 4 sync models
 * with BENCH_FOLDERS (2,000) object folders in all (a direct sync makes them), runs one
 * backward sync to learn the folders' ETags, then in one run measures, side by side:
 *   1. a backward sync with nothing changed,
 *   2. a backward sync after a person added a file to 20 object folders,
 *   3. a full depth-1 walk of every model and object folder (what a scan without ETags does),
 * printing the WebDAV requests (counted in Apache's access log) and the wall time of each.
 */
import fs from 'node:fs/promises';
import { WebDavCloud } from '../src/cloud/webdav/adapter.js';
import { confirmCloud } from '../src/cloud/confirm.js';
import { activitiesFor, type createServices } from '../src/services.js';
import { startWorker } from '../src/worker/index.js';
import { startBenchStack } from './benchStack.js';

const FOLDERS = Number(process.env.BENCH_FOLDERS ?? 2000);
const CHANGED = 20;
const MODELS = 4;
const say = (s: string) => process.stdout.write(s + '\n');

async function main() {
  const stack = await startBenchStack('bench-backward');
  const { dav, settings, services } = stack;
  try {
    const worker = await startWorker({ address: settings.temporalAddress, namespace: 'default', taskQueue: 'bench', activities: activitiesFor(services) });
    stack.onStop(() => worker.shutdown());

    await services.connections.save({ url: dav.url, username: dav.username, password: dav.password, rootFolder: 'Odoo', publicUrls: false });
    const saved = (await services.connections.get())!;
    await services.connections.markConfirmed(await confirmCloud(services.cloudFor(services.connections.credentials(saved)), { configured: 'Odoo' }));
    for (let m = 0; m < MODELS; m++) {
      await services.database.sql`insert into sync_models (model, folder_name, sequence) values (${`bench.model${m}`}, ${`Model ${m}`}, ${10 + m})`;
      for (let r = 0; r < FOLDERS / MODELS; r++) await services.builtin.createRecord(`bench.model${m}`, `Record ${m}-${r}`, {});
    }
    say(`making ${FOLDERS} object folders (a direct sync) …`);
    await run(services, 'directSync', 'setup-direct');
    await run(services, 'backwardSync', 'setup-backward'); // learns every folder's ETag

    const { accessLog } = stack;
    const measure = async (label: string, what: () => Promise<unknown>) => {
      const before = (await fs.readFile(accessLog, 'utf8')).split('\n').filter(Boolean).length;
      const start = performance.now();
      await what();
      const ms = performance.now() - start;
      const lines = (await fs.readFile(accessLog, 'utf8')).split('\n').filter(Boolean).slice(before);
      return { label, requests: lines.length, ms };
    };
    const unchanged = await measure('backward sync, nothing changed', () => run(services, 'backwardSync', 'b1'));
    const cloud = new WebDavCloud(dav);
    const auth = 'Basic ' + Buffer.from(`${dav.username}:${dav.password}`).toString('base64');
    for (let i = 0; i < CHANGED; i++) {
      const m = i % MODELS;
      const r = Math.floor(i / MODELS) * 7;
      await fetch(`${dav.url}Odoo/${encodeURIComponent(`Model ${m}`)}/${encodeURIComponent(`Record ${m}-${r}`)}/new-${i}.txt`, { method: 'PUT', body: `new ${i}`, headers: { authorization: auth } });
    }
    const changed = await measure(`backward sync, ${CHANGED} object folders changed`, () => run(services, 'backwardSync', 'b2'));
    const [{ n }] = await services.database.sql`select count(*)::int as n from erp_attachments where type = 'url'` as unknown as [{ n: number }];
    if (n !== CHANGED) throw new Error(`expected ${CHANGED} new URL attachments, found ${n}`);
    const walk = await measure('full depth-1 walk of every folder', async () => {
      for (let m = 0; m < MODELS; m++) {
        const listing = await cloud.list(`/Odoo/Model ${m}`);
        for (const child of listing?.children ?? []) await cloud.list(child.path);
      }
    });

    say('');
    say(`backward scan of ${MODELS} sync models, ${FOLDERS} object folders, Apache mod_dav:`);
    for (const r of [unchanged, changed, walk]) say(`  ${r.label.padEnd(46)} ${String(r.requests).padStart(6)} requests  ${(r.ms / 1000).toFixed(2).padStart(7)} s`);
    say(`  requests saved against the full walk: nothing changed ${(walk.requests / Math.max(1, unchanged.requests)).toFixed(0)}x, ${CHANGED} changed ${(walk.requests / Math.max(1, changed.requests)).toFixed(0)}x`);
  } finally {
    await stack.stop();
  }
}

async function run(services: Awaited<ReturnType<typeof createServices>>, workflow: 'directSync' | 'backwardSync', workflowId: string) {
  const handle = await services.temporal.workflow.start(workflow, { taskQueue: 'bench', workflowId, args: [{ trigger: 'bench' }] });
  const summary = await handle.result() as { outcome: string; failed: number };
  if (summary.outcome !== 'completed' || summary.failed) throw new Error(`${workflow} ended ${summary.outcome} with ${summary.failed} failures`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
