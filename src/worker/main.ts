/**
 * `npm run worker`: a worker process on its own, for installations that run more workers
 * than API processes (or restart them independently). Needs the shared parts to exist
 * already: DATABASE_URL and TEMPORAL_ADDRESS, and the same SECRET_KEY (or DATA_DIR with
 * its secret.key) as the service that saved the connection.
 */
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../config/index.js';
import { readOrCreateSecretFile, randomToken } from '../secrets/index.js';
import { activitiesFor, createServices } from '../services.js';
import { startWorker } from './index.js';

const say = (line: string) => process.stdout.write(`[attachments-sync worker] ${line}\n`);

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.database.url || !config.temporal.address) {
    throw new ConfigError('A standalone worker needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs the embedded ones for a single process)');
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
  Runtime.install({ shutdownSignals: [] });
  const secretKey = config.secretKey ?? (await readOrCreateSecretFile(path.join(config.dataDir, 'secret.key'), () => randomToken(32))).value;
  const services = await createServices({
    databaseUrl: config.database.url, dataDir: config.dataDir, secretKey, temporalAddress: config.temporal.address,
    namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
  });
  const worker = await startWorker({
    address: config.temporal.address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
    activities: activitiesFor(services, config.sync),
    ...(config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : {}),
  });
  const stop = async () => {
    say('stopping…');
    await worker.shutdown();
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  say(`polling ${config.temporal.taskQueue} on ${config.temporal.address}`);
  await worker.run;
}

main().catch((err: unknown) => {
  say(err instanceof ConfigError ? err.message : `stopped: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
