import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { joinCloudPath, rootFolderName } from '../domain/naming.js';
import type { CloudCapabilities, CloudPort } from './port.js';

/**
 * "Login and Confirm": proves the account can do what sync needs under the root (create,
 * rename, delete), creates the root folder, and reads the server's capabilities. Leaves
 * nothing behind: the probe is removed even when a step fails.
 */
export async function confirmCloud(cloud: CloudPort, root: { mapped: string } | { configured: string }): Promise<CloudCapabilities> {
  const capabilities = await cloud.detectCapabilities();
  // The folder the direct sync will use: its name cleaned by the server's own rules too.
  const rootPath = 'mapped' in root ? joinCloudPath(root.mapped) : joinCloudPath(rootFolderName(root.configured, capabilities));
  await cloud.createFolder(rootPath);
  const token = randomBytes(6).toString('hex');
  const probe = joinCloudPath(rootPath, `.sync-probe-${token}.txt`);
  const renamed = joinCloudPath(rootPath, `.sync-probe-${token}-renamed.txt`);
  const body = Buffer.from('connection check\n');
  try {
    await cloud.uploadNew(probe, Readable.from([body]), body.length);
    // Does the server honour If-None-Match: * (a second PUT must be refused)? Then uploads
    // need no check before each PUT.
    capabilities.conditionalWrites = !(await cloud.putNew(probe, Readable.from([body]), body.length, { conditional: true }));
    await cloud.move(probe, renamed);
    await cloud.remove(renamed);
  } finally {
    await cloud.remove(probe).catch(() => {});
    await cloud.remove(renamed).catch(() => {});
  }
  return capabilities;
}
