import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { WebDavCloud } from './cloud/webdav/adapter.js';
import type { CloudPort } from './cloud/port.js';
import { migrateDatabase, openDatabase, type Database } from './db/index.js';
import { ConnectionRepo, ensureSettingsRow, type ConnectionRow } from './db/repos/connection.js';
import { SyncLog } from './db/repos/logs.js';
import { OperationsQueue } from './db/repos/operations.js';
import { Filestore } from './erp/builtin/filestore.js';
import { BuiltinErp } from './erp/builtin/store.js';
import { CurrentErp } from './erp/current.js';
import { SecretBox } from './secrets/index.js';
import { WORKFLOW_IDS } from './workflows/shared.js';

/** Everything the API and the worker share, built once from resolved settings. */
export interface Services {
  database: Database;
  secrets: SecretBox;
  /** The ERP the syncs use: the builtin store, or the confirmed Odoo (src/erp/current.ts). */
  erp: CurrentErp;
  /** The builtin store itself (its records and attachments API). */
  builtin: BuiltinErp;
  connections: ConnectionRepo;
  log: SyncLog;
  queue: OperationsQueue;
  temporal: Client;
  temporalConnection: Connection;
  taskQueue: string;
  /** Workflow ids of this installation (`direct-sync`, …); tests prefix them to share one Temporal. */
  workflowIds: { direct: string; backward: string; mutex: string };
  /** The two Temporal Schedules (`direct-sync-schedule`, `backward-sync-schedule`), prefixed like the workflow ids. */
  scheduleIds: { direct: string; backward: string };
  openCloud(): Promise<{ cloud: CloudPort; connection: ConnectionRow } | null>;
  cloudFor(settings: { url: string; username: string; password: string }): CloudPort;
  close(): Promise<void>;
}

export interface ServiceSettings {
  databaseUrl: string;
  dataDir: string;
  secretKey: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  workflowIdPrefix?: string;
}

export async function createServices(s: ServiceSettings): Promise<Services> {
  const database = openDatabase(s.databaseUrl);
  await migrateDatabase(s.databaseUrl);
  await ensureSettingsRow(database.db);
  const secrets = new SecretBox(s.secretKey);
  const builtin = new BuiltinErp(database.db, new Filestore(path.join(s.dataDir, 'filestore')));
  const erp = new CurrentErp(database.db, secrets, builtin);
  const connections = new ConnectionRepo(database.db, secrets);
  const temporalConnection = await Connection.connect({ address: s.temporalAddress });
  const temporal = new Client({ connection: temporalConnection, namespace: s.namespace });
  const cloudFor = (c: { url: string; username: string; password: string }) => new WebDavCloud(c);
  return {
    database, secrets, erp, builtin, connections, temporal, temporalConnection, taskQueue: s.taskQueue, cloudFor,
    workflowIds: { direct: `${s.workflowIdPrefix ?? ''}${WORKFLOW_IDS.direct}`, backward: `${s.workflowIdPrefix ?? ''}${WORKFLOW_IDS.backward}`, mutex: `${s.workflowIdPrefix ?? ''}${WORKFLOW_IDS.mutex}` },
    scheduleIds: { direct: `${s.workflowIdPrefix ?? ''}direct-sync-schedule`, backward: `${s.workflowIdPrefix ?? ''}backward-sync-schedule` },
    log: new SyncLog(database.db),
    queue: new OperationsQueue(database.db),
    async openCloud() {
      const connection = await connections.get();
      if (!connection || connection.state !== 'confirmed') return null;
      return { cloud: cloudFor(connections.credentials(connection)), connection };
    },
    async close() {
      await temporalConnection.close();
      await database.close();
    },
  };
}

export function activitiesFor(services: Services, tuning: Pick<ActivityDeps, 'batchSize' | 'concurrency' | 'today' | 'transfer'> = {}) {
  return createActivities({ db: services.database.db, erp: services.erp, openCloud: services.openCloud, log: services.log, temporal: services.temporal, ...tuning });
}
