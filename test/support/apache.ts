import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export interface RunningApache {
  /** WebDAV root URL, ending in `/`. */
  url: string;
  username: string;
  password: string;
  docs: string;
  stop(): Promise<void>;
}

const CONF = fileURLToPath(new URL('./apache/httpd.conf', import.meta.url));

/** Starts Debian's Apache httpd with mod_dav from the repo's config file, on a loopback port. */
export async function startApacheDav(root: string): Promise<RunningApache> {
  const port = await freePort();
  const docs = path.join(root, 'docs');
  await fs.mkdir(path.join(root, 'davlock'), { recursive: true });
  await fs.mkdir(docs, { recursive: true });
  const username = 'sync';
  const password = 'dav-secret-' + Math.random().toString(36).slice(2);
  execFileSync('htpasswd', ['-bc', path.join(root, 'htpasswd'), username, password], { stdio: 'ignore' });
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'www-data' : String(process.getuid?.());
  if (asRoot) execFileSync('chown', ['-R', 'www-data:www-data', docs, path.join(root, 'davlock')]);
  const env = {
    ...process.env, DAV_SERVER_ROOT: root, DAV_PORT: String(port), DAV_DOCS: docs,
    DAV_USER: asRoot ? user : `#${process.getuid?.()}`, DAV_GROUP: asRoot ? 'www-data' : `#${process.getgid?.()}`,
  };
  const apache = process.env.APACHE_BIN ?? '/usr/sbin/apache2';
  execFileSync(apache, ['-f', CONF, '-k', 'start'], { env, stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}/dav/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(url, { method: 'OPTIONS' }).then(() => true, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`Apache did not answer on ${url}; see ${root}/error.log`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, username, password, docs,
    async stop() {
      const pid = Number(await fs.readFile(path.join(root, 'httpd.pid'), 'utf8').catch(() => '0'));
      if (!pid) return;
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
