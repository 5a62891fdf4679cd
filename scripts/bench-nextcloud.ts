/**
 * `npm run bench:nextcloud`: the direct sync against a real Nextcloud, side by side with
 * a bare loop, in one run.
 *
 *   NEXTCLOUD_URL=https://cloud.example.org NEXTCLOUD_USER=alice NEXTCLOUD_APP_PASSWORD=... npm run bench:nextcloud
 *
 * 1. A bare `webdav` client loop PUTs N files of 4 KB (and MKCOLs their folders) at the
 *    configured concurrency.
 * 2. The service syncs the same N attachments from the builtin store (plan, folders,
 *    upload by bulk upload where the server offers it, verify, replace with URL), its
 *    worker in a separate process, at the same concurrency.
 * It prints both rates and their ratio, then deletes both test folders (they go to the
 * user's trash bin). The aim: beat the bare loop by using bulk upload.
 *
 * Without those variables it says it needs a real server and exits 0. BENCH_FILES (500),
 * BENCH_CONCURRENCY (8). BENCH_NEXTCLOUD_EMULATED=1 runs it against the test suite's
 * Nextcloud-compatible layer over Apache instead (checks the script; its figures say
 * nothing about a real Nextcloud, which is far slower per request).
 */
import type { ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { createClient } from 'webdav';
import { confirmCloud } from '../src/cloud/confirm.js';
import { startBenchStack, startBenchWorker } from './benchStack.js';

const FILES = Number(process.env.BENCH_FILES ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PER_RECORD = 50;
const SIZE = 4 * 1024;
const say = (s: string) => process.stdout.write(s + '\n');

async function main() {
  const emulated = process.env.BENCH_NEXTCLOUD_EMULATED === '1';
  const { NEXTCLOUD_URL, NEXTCLOUD_USER, NEXTCLOUD_APP_PASSWORD } = process.env;
  if (!emulated && !(NEXTCLOUD_URL && NEXTCLOUD_USER && NEXTCLOUD_APP_PASSWORD)) {
    say('bench:nextcloud needs a real Nextcloud: set NEXTCLOUD_URL (the server, e.g. https://cloud.example.org),');
    say('NEXTCLOUD_USER and NEXTCLOUD_APP_PASSWORD (an app password of that user). Nothing was measured.');
    return;
  }
  const stack = await startBenchStack('bench-nextcloud');
  const { services, settings } = stack;
  let worker: ChildProcess | null = null;
  try {
    let davRoot: string;
    let auth: { username: string; password: string };
    if (emulated) {
      const { startNextcloudLayer } = await import('../test/support/nextcloudLayer.js');
      const layer = await startNextcloudLayer({ upstream: stack.dav.url, user: stack.dav.username });
      stack.onStop(() => layer.close());
      davRoot = layer.url;
      auth = { username: stack.dav.username, password: stack.dav.password };
      say('EMULATED: the Nextcloud-compatible test layer over Apache, not a real Nextcloud');
    } else {
      davRoot = `${NEXTCLOUD_URL!.replace(/\/+$/, '')}/remote.php/dav/files/${encodeURIComponent(NEXTCLOUD_USER!)}/`;
      auth = { username: NEXTCLOUD_USER!, password: NEXTCLOUD_APP_PASSWORD! };
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const bareRoot = `/bench-bare-${stamp}`;
    const serviceRoot = `bench-service-${stamp}`;
    const client = createClient(davRoot, auth);

    const records = Math.ceil(FILES / PER_RECORD);
    const body = (i: number) => Buffer.alloc(SIZE, `file ${i} `);
    for (let r = 0, n = 0; r < records; r++) {
      const rec = await services.builtin.createRecord('res.partner', `Partner ${r}`, {});
      for (let i = 0; i < PER_RECORD && n < FILES; i++, n++) {
        await services.builtin.addAttachment({ resModel: 'res.partner', resId: rec.id, name: `doc-${i}.bin`, content: Readable.from([body(n)]) });
      }
    }

    try {
      // 1. The bare loop.
      const bareStart = performance.now();
      await client.createDirectory(`${bareRoot}/Contacts`, { recursive: true });
      for (let r = 0; r < records; r++) await client.createDirectory(`${bareRoot}/Contacts/Partner ${r}`);
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < FILES) {
          const i = next++;
          await client.putFileContents(`${bareRoot}/Contacts/Partner ${Math.floor(i / PER_RECORD)}/doc-${i % PER_RECORD}.bin`, body(i), { overwrite: false });
        }
      }));
      const bareSeconds = (performance.now() - bareStart) / 1000;

      // 2. The service, its worker in its own process.
      await services.connections.save({ url: davRoot, ...auth, rootFolder: serviceRoot, publicUrls: false });
      const saved = (await services.connections.get())!;
      const capabilities = await confirmCloud(services.cloudFor(services.connections.credentials(saved)), { configured: serviceRoot });
      await services.connections.markConfirmed(capabilities);
      await services.database.sql`insert into sync_models (model, folder_name, sequence) values ('res.partner', 'Contacts', 10)`;
      worker = await startBenchWorker(settings, { SYNC_CONCURRENCY: String(CONCURRENCY), SYNC_BATCH_SIZE: String(Math.max(FILES, 200)) });
      const start = performance.now();
      const handle = await services.temporal.workflow.start('directSync', { taskQueue: settings.taskQueue, workflowId: `bench-nextcloud-${stamp}`, args: [{ trigger: 'bench' }] });
      const summary = await handle.result() as { outcome: string; failed: number };
      const serviceSeconds = (performance.now() - start) / 1000;
      if (summary.outcome !== 'completed' || summary.failed) throw new Error(`the sync ended ${summary.outcome} with ${summary.failed} failures`);
      const [{ n }] = await services.database.sql`select count(*)::int as n from erp_attachments where type = 'url'` as unknown as [{ n: number }];
      if (n !== FILES) throw new Error(`only ${n} of ${FILES} attachments were released`);

      say('');
      say(`${capabilities.product} ${capabilities.version ?? ''} at ${emulated ? 'the emulation' : NEXTCLOUD_URL}; bulk upload ${capabilities.bulkUpload ?? 'not offered'}`);
      say(`${FILES} files of 4 KB, concurrency ${CONCURRENCY}:`);
      say(`  bare webdav loop (MKCOL + PUT):                            ${(FILES / bareSeconds).toFixed(1)} files/s (${bareSeconds.toFixed(2)} s)`);
      say(`  service (plan, folders, bulk upload, verify, replace w/ URL): ${(FILES / serviceSeconds).toFixed(1)} files/s (${serviceSeconds.toFixed(2)} s)`);
      say(`  ratio service / bare:                                      ${(bareSeconds / serviceSeconds).toFixed(2)}`);
    } finally {
      await client.deleteFile(bareRoot).catch(() => {});
      await client.deleteFile(`/${serviceRoot}`).catch(() => {});
    }
  } finally {
    worker?.kill('SIGKILL');
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
