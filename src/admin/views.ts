/**
 * Rendering the admin pages with ejs. The templates and static files stay in the source
 * tree: `../../src/admin/...` from this module is src/admin/... whether it runs from src/
 * (tests, through @swc/jest) or from dist/ (npm start, the Docker image), as the
 * migrations are found in src/db/index.ts (tsc copies no .ejs, .css or .js asset).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

export const viewsDir = fileURLToPath(new URL('../../src/admin/views', import.meta.url));
export const staticDir = fileURLToPath(new URL('../../src/admin/static', import.meta.url));

/** Helpers every template gets. Templates print with `<%= %>` (escaped) only. */
const helpers = {
  /** An ISO time as `2026-12-01 10:00:00 UTC`, or a dash. */
  when(iso: unknown): string {
    if (typeof iso !== 'string' || !iso) return '—';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  },
  json(value: unknown): string {
    return JSON.stringify(value);
  },
  dash(value: unknown): string {
    return value === null || value === undefined || value === '' ? '—' : String(value);
  },
};

export async function render(view: string, locals: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(path.join(viewsDir, `${view}.ejs`), { ...helpers, ...locals }, {
    cache: true,
    // No template source or data in an error: the error page shows a plain message.
    compileDebug: false,
    rmWhitespace: false,
  });
}

const STATIC_TYPES: Record<string, string> = { 'admin.css': 'text/css; charset=utf-8', 'admin.js': 'text/javascript; charset=utf-8' };

/** The two static files, read once: a fixed list, so no path from a request reaches the disk. */
const staticCache = new Map<string, Buffer>();

export async function staticFile(name: string): Promise<{ body: Buffer; type: string } | null> {
  const type = Object.hasOwn(STATIC_TYPES, name) ? STATIC_TYPES[name] : undefined;
  if (!type) return null;
  let body = staticCache.get(name);
  if (!body) {
    body = await fs.readFile(path.join(staticDir, name));
    staticCache.set(name, body);
  }
  return { body, type };
}
