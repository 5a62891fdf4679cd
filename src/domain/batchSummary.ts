/**
 * The one-line summary of a batch that ops read in the Temporal Web UI next to its activity
 * ("upload 40 files to Odoo/Contacts/Acme"): what it does, how many, where. Pure.
 */

const VERBS: Record<string, (n: number) => string> = {
  create_folder: (n) => `create ${n} ${plural(n, 'folder')}`,
  move_folder: (n) => `rename or move ${n} ${plural(n, 'folder')}`,
  delete_item: (n) => `delete ${n} ${plural(n, 'item')}`,
  upload: (n) => `upload ${n} ${plural(n, 'file')}`,
  replace_with_url: (n) => `replace ${n} ${plural(n, 'attachment')} with URL links`,
  create_link: (n) => `link ${n} new cloud ${plural(n, 'item')}`,
  update_link: (n) => `update ${n} ${plural(n, 'link')}`,
  unlink: (n) => `unlink ${n} ${plural(n, 'attachment')} gone`,
};

const PREPOSITION: Record<string, string> = { upload: 'to', create_folder: 'in', replace_with_url: 'of', create_link: 'in', unlink: 'from' };
const MAX_LENGTH = 160;

/** `payloads` are the operations' payloads: a `path` (cloud path) and `resModel` where they have one. */
export function describeBatch(kind: string, payloads: ReadonlyArray<{ path?: unknown; resModel?: unknown }>): string {
  const n = payloads.length;
  const what = (VERBS[kind] ?? ((k: number) => `${kind.replace(/_/g, ' ')} x${k}`))(n);
  const paths = payloads.map((p) => (typeof p.path === 'string' ? p.path : null)).filter((p): p is string => p !== null && p !== '');
  let where: string | null = null;
  if (paths.length > 0) {
    const dirs = [...new Set(paths.map(parentOf))];
    where = dirs.length === 1 ? dirs[0]! : `${commonPrefix(dirs) || '/'} (${dirs.length} folders)`;
  } else {
    const models = [...new Set(payloads.map((p) => (typeof p.resModel === 'string' ? p.resModel : null)).filter(Boolean))];
    if (models.length > 0) where = models.join(', ');
  }
  const line = where ? `${what} ${PREPOSITION[kind] ?? 'in'} ${where}` : what;
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}…` : line;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function parentOf(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i <= 0 ? '/' : trimmed.slice(0, i);
}

/** The longest common folder of `dirs`, by whole path segments. */
function commonPrefix(dirs: string[]): string {
  const split = dirs.map((d) => d.split('/'));
  const first = split[0]!;
  let i = 0;
  while (i < first.length && split.every((s) => s[i] === first[i])) i++;
  return first.slice(0, i).join('/');
}
