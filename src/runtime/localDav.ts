import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import webdavServer from 'webdav-server';

const { v2: webdav } = webdavServer;

export interface RunningLocalDav {
  url: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * A local folder served over WebDAV (the `webdav-server` package), so `npm start` has a
 * cloud to sync into with nothing configured. A demo, not a Nextcloud: it ignores
 * If-None-Match, which is why the safety tests run against Apache mod_dav.
 */
export async function startLocalDav(opts: { dir: string; port: number; host: string; password: string }): Promise<RunningLocalDav> {
  await fs.mkdir(opts.dir, { recursive: true });
  const username = 'demo';
  const users = new webdav.SimpleUserManager();
  const user = users.addUser(username, opts.password, false);
  const privileges = new webdav.SimplePathPrivilegeManager();
  privileges.setRights(user, '/', ['all']);
  const server = new webdav.WebDAVServer({
    hostname: opts.host,
    port: opts.port,
    requireAuthentification: true,
    httpAuthentication: new webdav.HTTPBasicAuthentication(users, 'Local demo cloud'),
    privilegeManager: privileges,
    rootFileSystem: new webdav.PhysicalFileSystem(opts.dir),
  });
  const http = await new Promise<import('node:http').Server>((resolve, reject) => {
    server.start((s) => (s ? resolve(s as import('node:http').Server) : reject(new Error('local WebDAV did not start'))));
  });
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://${opts.host}:${port}/`,
    username,
    password: opts.password,
    stop: () => new Promise<void>((resolve) => server.stop(() => resolve())),
  };
}
