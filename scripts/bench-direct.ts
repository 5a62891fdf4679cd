/**
 * `npm run bench:direct`: how fast the direct sync moves files, against a bare loop.
 *
 * Starts its own embedded PostgreSQL, Temporal dev server and Apache mod_dav, then, in
 * one run and on the same machine:
 *   1. a bare `webdav` client loop uploads N files of 16 KB (and MKCOLs their folders) at
 *      the configured concurrency: the ceiling;
 *   2. the service syncs the same N attachments from the builtin store (plan, folders,
 *      upload, verify, replace with URL), its worker in a separate process;
 * and prints both throughputs and their ratio. Then it syncs one large attachment
 * (1 GiB by default) and prints the worker process's peak RSS.
 *
 *   BENCH_FILES=1000 BENCH_CONCURRENCY=8 BENCH_LARGE_MB=1024 npm run bench:direct
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createClient } from 'webdav';
import { confirmCloud } from '../src/cloud/confirm.js';
import type { createServices } from '../src/services.js';
import { startBenchStack, startBenchWorker } from './benchStack.js';

const FILES = Number(process.env.BENCH_FILES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const LARGE_MB = Number(process.env.BENCH_LARGE_MB ?? 1024);
const PER_RECORD = 20;
const SIZE = 16 * 1024;

const say = (s: string) => process.stdout.write(s + '\n');

async function main() {
  const stack = await startBenchStack('bench-direct');
  const { dav, settings, services } = stack;
  let worker: ChildProcess | null = null;
  try {
    const auth = { username: dav.username, password: dav.password };
    for (const folder of ['bare', 'service']) await fetch(dav.url + folder, { method: 'MKCOL', headers: { authorization: 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } });

    // The same files for both: FILES attachments of 16 KB, PER_RECORD per record.
    const records = Math.ceil(FILES / PER_RECORD);
    const body = (i: number) => Buffer.alloc(SIZE, `file ${i} `);
    const ids: number[] = [];
    for (let r = 0; r < records; r++) {
      const rec = await services.builtin.createRecord('res.partner', `Partner ${r}`, {});
      for (let i = 0; i < PER_RECORD && ids.length < FILES; i++) {
        ids.push((await services.builtin.addAttachment({ resModel: 'res.partner', resId: rec.id, name: `doc-${i}.bin`, content: Readable.from([body(ids.length)]) })).id);
      }
    }

    // 1. The bare loop.
    const client = createClient(dav.url + 'bare/', auth);
    const bareStart = performance.now();
    await client.createDirectory('/Odoo/Contacts', { recursive: true });
    for (let r = 0; r < records; r++) await client.createDirectory(`/Odoo/Contacts/Partner ${r}`);
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < FILES) {
        const i = next++;
        await client.putFileContents(`/Odoo/Contacts/Partner ${Math.floor(i / PER_RECORD)}/doc-${i % PER_RECORD}.bin`, body(i), { overwrite: false });
      }
    }));
    const bareSeconds = (performance.now() - bareStart) / 1000;

    // 2. The service, worker in its own process (as in production).
    await services.connections.save({ url: dav.url + 'service/', ...auth, rootFolder: 'Odoo', publicUrls: false });
    const saved = (await services.connections.get())!;
    await services.connections.markConfirmed(await confirmCloud(services.cloudFor(services.connections.credentials(saved)), { configured: 'Odoo' }));
    await services.database.sql`insert into sync_models (model, folder_name, sequence) values ('res.partner', 'Contacts', 10)`;
    worker = await startBenchWorker(settings, { SYNC_CONCURRENCY: String(CONCURRENCY) });
    const serviceSeconds = await timedSync(services, 'bench-1');
    const [{ n }] = await services.database.sql`select count(*)::int as n from erp_attachments where type = 'url'` as unknown as [{ n: number }];
    if (n !== FILES) throw new Error(`only ${n} of ${FILES} attachments were released`);

    say('');
    say(`direct sync of ${FILES} attachments of 16 KB to Apache mod_dav, concurrency ${CONCURRENCY}:`);
    say(`  bare webdav loop (MKCOL + PUT):                        ${(FILES / bareSeconds).toFixed(1)} files/s (${bareSeconds.toFixed(2)} s)`);
    say(`  service (plan, folders, upload, verify, replace w/ URL): ${(FILES / serviceSeconds).toFixed(1)} files/s (${serviceSeconds.toFixed(2)} s)`);
    say(`  ratio service / bare:                                  ${(bareSeconds / serviceSeconds).toFixed(2)}`);

    if (LARGE_MB > 0) {
      const rec = await services.builtin.createRecord('res.partner', 'Large file owner', {});
      const chunk = Buffer.alloc(1024 * 1024, 'L');
      const large = Readable.from((function* () { for (let i = 0; i < LARGE_MB; i++) yield chunk; })());
      await services.builtin.addAttachment({ resModel: 'res.partner', resId: rec.id, name: 'large.bin', content: large });
      const before = peakRssMiB(worker.pid!);
      const seconds = await timedSync(services, 'bench-2');
      const peak = peakRssMiB(worker.pid!);
      say('');
      say(`one attachment of ${LARGE_MB} MiB: synced in ${seconds.toFixed(1)} s (${(LARGE_MB / seconds).toFixed(0)} MiB/s)`);
      say(`  worker peak RSS: ${await peak} MiB (before the large file: ${await before} MiB)`);
    }
  } finally {
    worker?.kill('SIGKILL');
    await stack.stop();
  }
}

async function timedSync(services: Awaited<ReturnType<typeof createServices>>, workflowId: string): Promise<number> {
  const start = performance.now();
  const handle = await services.temporal.workflow.start('directSync', { taskQueue: 'bench', workflowId, args: [{ trigger: 'bench' }] });
  const summary = await handle.result() as { outcome: string; failed: number };
  if (summary.outcome !== 'completed' || summary.failed) throw new Error(`the sync ended ${summary.outcome} with ${summary.failed} failures`);
  if (process.env.BENCH_PHASES) {
    // Where the time went: each activity's duration, from the workflow's own history.
    const history = await handle.fetchHistory();
    const started = new Map<string, { type: string; at: number }>();
    const totals = new Map<string, number>();
    for (const e of history.events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
      if (e.activityTaskScheduledEventAttributes) started.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const s = started.get(String(done.scheduledEventId));
        if (s) totals.set(s.type, (totals.get(s.type) ?? 0) + at - s.at);
      }
    }
    say(`  phases: ${[...totals].map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
  }
  return (performance.now() - start) / 1000;
}

/** VmHWM: the process's resident-set high-water mark since it started. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
