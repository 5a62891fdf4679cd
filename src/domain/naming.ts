/**
 * Cloud names: the manual's "Try to avoid the following symbols ... Direct sync will
 * replace such symbols with '-'", plus the characters Windows and Nextcloud clients trip on.
 */

// The manual's list: * ? " ' : < > / + % ! @ \  — plus # | ~ & { } and control characters.
const FORBIDDEN = /[*?"':<>/+%!@\\#|~&{}\u0000-\u001f\u007f]/g;

/**
 * Nextcloud refuses a PUT whose name is over about 228 bytes (its temporary transfer name
 * adds a suffix); MKCOL and MOVE allow 250. One cap for all keeps names portable.
 */
export const MAX_NAME_BYTES = 220;

/**
 * What a server refuses beyond the list above, as its capabilities say (Nextcloud 30 and
 * later: `forbidden_filenames` such as `desktop.ini`, `forbidden_filename_characters`).
 */
export interface NamingRules {
  forbiddenNames?: string[];
  forbiddenCharacters?: string[];
}

export function sanitizeName(raw: string, maxBytes = MAX_NAME_BYTES, rules: NamingRules = {}): string {
  let replaced = raw.normalize('NFC').replace(FORBIDDEN, '-');
  for (const c of rules.forbiddenCharacters ?? []) if (c) replaced = replaced.split(c).join('-');
  const trimmed = trimSpacesAndDots(replaced);
  // Nextcloud keeps `.part` for its own partial uploads and refuses such names; a leading
  // dot (`.htaccess`, hidden files) is already gone with the trimming above.
  const named = capBytesKeepingExtension(trimmed, maxBytes).replace(/\.(part)$/i, '-$1');
  // A name the server forbids outright (`desktop.ini`): its dots become dashes.
  const forbidden = new Set((rules.forbiddenNames ?? []).map((n) => n.toLowerCase()));
  return forbidden.has(named.toLowerCase()) ? named.replace(/\./g, '-') : named;
}

function trimSpacesAndDots(s: string): string {
  return s.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');
}

const utf8 = new TextEncoder();
function byteLength(s: string): number {
  return utf8.encode(s).length;
}

/** Cuts on code-point boundaries and keeps a short extension (`.pdf`) at the end. */
export function capBytesKeepingExtension(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const stem = ext ? name.slice(0, dot) : name;
  const budget = maxBytes - byteLength(ext);
  let out = '';
  for (const ch of stem) {
    if (byteLength(out + ch) > budget) break;
    out += ch;
  }
  return trimSpacesAndDots(out) + ext;
}

/**
 * The object folder's name: the rendered name expression when it gives something after
 * sanitising, else the record's display name (the manual: "If after rendering, the folder
 * name appears to be empty, the app would use the standard name_get method").
 */
export function objectFolderName(displayName: string, rendered: string | null, recordId: number, rules: NamingRules = {}): string {
  const fromExpression = rendered === null ? '' : sanitizeName(rendered, MAX_NAME_BYTES, rules);
  if (fromExpression) return fromExpression;
  const fromDisplayName = sanitizeName(displayName, MAX_NAME_BYTES, rules);
  // A record whose display name sanitises to nothing still needs a stable, unique folder.
  return fromDisplayName || `record-${recordId}`;
}

/**
 * The root folder's name as the direct sync makes it: the configured name after the same
 * cleaning as every other name (and the server's own rules), `Odoo` when nothing is left.
 * The confirm step creates the same folder.
 */
export function rootFolderName(configured: string, rules: NamingRules = {}): string {
  return sanitizeName(configured, MAX_NAME_BYTES, rules) || 'Odoo';
}

/** Joins cloud path segments into an absolute, `/`-separated path. */
export function joinCloudPath(...segments: string[]): string {
  return '/' + segments.flatMap((s) => s.split('/')).filter(Boolean).join('/');
}
