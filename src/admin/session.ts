/**
 * The admin pages' session and CSRF tokens, stateless: both are HMACs keyed with the admin
 * token, so nothing is stored server-side and a new ADMIN_TOKEN ends every session.
 *
 * - session cookie: `<random id>.<expiry, unix seconds>.<HMAC("session", id, expiry)>`
 * - CSRF token (hidden field of every POST form): `HMAC("csrf", session id)`
 * - flash cookie (one message shown after a redirect): `<base64url JSON>.<HMAC("flash", it)>`
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'admin_session';
export const FLASH_COOKIE = 'admin_flash';
export const SESSION_SECONDS = 12 * 3600;

export interface Session {
  id: string;
  expiresAt: number;
}

export interface Flash {
  kind: 'ok' | 'error';
  message: string;
}

export class SessionKeys {
  constructor(private readonly key: string) {}

  private mac(purpose: string, ...parts: string[]): string {
    return createHmac('sha256', this.key).update([purpose, ...parts].join('\n')).digest('base64url');
  }

  issue(now = Date.now()): { cookie: string; session: Session } {
    const id = randomBytes(24).toString('base64url');
    const expiresAt = Math.floor(now / 1000) + SESSION_SECONDS;
    return { cookie: `${id}.${expiresAt}.${this.mac('session', id, String(expiresAt))}`, session: { id, expiresAt } };
  }

  verify(cookie: string | undefined, now = Date.now()): Session | null {
    if (!cookie) return null;
    const [id, expiry, mac, extra] = cookie.split('.');
    if (!id || !expiry || !mac || extra !== undefined || !/^\d{1,12}$/.test(expiry)) return null;
    if (!macEqual(mac, this.mac('session', id, expiry))) return null;
    const expiresAt = Number(expiry);
    return expiresAt * 1000 > now ? { id, expiresAt } : null;
  }

  csrfToken(session: Session): string {
    return this.mac('csrf', session.id);
  }

  checkCsrf(session: Session, given: unknown): boolean {
    return typeof given === 'string' && given.length > 0 && macEqual(given, this.csrfToken(session));
  }

  sealFlash(flash: Flash): string {
    const body = Buffer.from(JSON.stringify(flash)).toString('base64url');
    return `${body}.${this.mac('flash', body)}`;
  }

  openFlash(cookie: string | undefined): Flash | null {
    if (!cookie) return null;
    const [body, mac] = cookie.split('.');
    if (!body || !mac || !macEqual(mac, this.mac('flash', body))) return null;
    try {
      const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Flash;
      return (parsed.kind === 'ok' || parsed.kind === 'error') && typeof parsed.message === 'string' ? parsed : null;
    } catch {
      return null;
    }
  }
}

/** Constant time on equal-length buffers; a different length is simply not equal. */
function macEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(name in out)) {
      try {
        out[name] = decodeURIComponent(value);
      } catch {
        out[name] = value;
      }
    }
  }
  return out;
}

export function cookieHeader(name: string, value: string, opts: { maxAge: number; secure: boolean }): string {
  return [
    `${name}=${value}`, 'Path=/admin', 'HttpOnly', 'SameSite=Strict', `Max-Age=${opts.maxAge}`,
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}
