/**
 * Name expressions: the manual's Mako subset for object folder names, e.g.
 * `Files of ${object.name}, synced` or `${object.mobile and object.mobile or "no mobile"}`.
 * Text outside `${…}` is copied; inside, `object.<field>[.<field>…]`, string and number
 * literals, `and`, `or`, `not` and parentheses, with Python's semantics (`a and b` gives a
 * when a is falsy, else b; `a or b` gives a when a is truthy, else b). A false value
 * renders as `False`, as in the manual's "Abigail Petersen, False".
 */

export class NameExpressionError extends Error {
  constructor(message: string, readonly position: number) {
    super(message);
    this.name = 'NameExpressionError';
  }
}

type Expr =
  | { t: 'path'; path: string }
  | { t: 'lit'; value: string | number }
  | { t: 'and' | 'or'; left: Expr; right: Expr }
  | { t: 'not'; arg: Expr };

type Part = { t: 'text'; text: string } | { t: 'expr'; expr: Expr };

export interface CompiledNameExpression {
  parts: Part[];
  /** The record fields the expression reads, for validation against the model. */
  fields: string[];
  /** The whole paths it reads (`partner_id.country_id.name`): what an ERP must fetch. */
  paths: string[];
}

export function compileNameExpression(template: string): CompiledNameExpression {
  const parts: Part[] = [];
  const fields = new Set<string>();
  const paths = new Set<string>();
  let i = 0;
  while (i < template.length) {
    const start = template.indexOf('${', i);
    if (start < 0) {
      parts.push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (start > i) parts.push({ t: 'text', text: template.slice(i, start) });
    const end = findClosingBrace(template, start + 2);
    const expr = parseExpression(template.slice(start + 2, end), start + 2);
    collectFields(expr, fields, paths);
    parts.push({ t: 'expr', expr });
    i = end + 1;
  }
  return { parts, fields: [...fields], paths: [...paths] };
}

function findClosingBrace(s: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return i;
  }
  throw new NameExpressionError('"${" is never closed by "}"', from - 2);
}

const TOKEN = /\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*))/y;

function parseExpression(src: string, offset: number): Expr {
  const tokens: { kind: 'open' | 'close' | 'str' | 'num' | 'word'; text: string; pos: number }[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new NameExpressionError(`Unexpected "${src.slice(pos).trim()[0]}" in the expression`, offset + pos);
    const at = offset + m.index + (m[0].length - m[0].trimStart().length);
    if (m[1]) tokens.push({ kind: 'open', text: '(', pos: at });
    else if (m[2]) tokens.push({ kind: 'close', text: ')', pos: at });
    else if (m[3]) tokens.push({ kind: 'str', text: m[3], pos: at });
    else if (m[4]) tokens.push({ kind: 'num', text: m[4], pos: at });
    else tokens.push({ kind: 'word', text: m[5]!, pos: at });
    pos = TOKEN.lastIndex;
  }
  let k = 0;
  const peekWord = (w: string) => tokens[k]?.kind === 'word' && tokens[k]!.text === w;
  const parseOr = (): Expr => {
    let left = parseAnd();
    while (peekWord('or')) {
      k++;
      left = { t: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expr => {
    let left = parseNot();
    while (peekWord('and')) {
      k++;
      left = { t: 'and', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Expr => {
    if (peekWord('not')) {
      k++;
      return { t: 'not', arg: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): Expr => {
    const tok = tokens[k++];
    if (!tok) throw new NameExpressionError('The expression ends too early', offset + src.length);
    switch (tok.kind) {
      case 'open': {
        const inner = parseOr();
        if (tokens[k]?.kind !== 'close') throw new NameExpressionError('A "(" is never closed', tok.pos);
        k++;
        return inner;
      }
      case 'str': return { t: 'lit', value: tok.text.slice(1, -1).replace(/\\(.)/g, '$1') };
      case 'num': return { t: 'lit', value: Number(tok.text) };
      case 'word': {
        if (tok.text === 'object') throw new NameExpressionError('Name a field: object.<field>', tok.pos);
        if (!tok.text.startsWith('object.')) throw new NameExpressionError(`Unknown name "${tok.text}": fields are read as object.<field>`, tok.pos);
        return { t: 'path', path: tok.text.slice('object.'.length) };
      }
      default: throw new NameExpressionError(`Unexpected "${tok.text}"`, tok.pos);
    }
  };
  if (tokens.length === 0) throw new NameExpressionError('Empty ${} in the expression', offset);
  const expr = parseOr();
  if (k < tokens.length) throw new NameExpressionError(`Unexpected "${tokens[k]!.text}" after the expression`, tokens[k]!.pos);
  return expr;
}

function collectFields(e: Expr, into: Set<string>, paths: Set<string>): void {
  if (e.t === 'path') {
    into.add(e.path.split('.')[0]!);
    paths.add(e.path);
  } else if (e.t === 'and' || e.t === 'or') {
    collectFields(e.left, into, paths);
    collectFields(e.right, into, paths);
  } else if (e.t === 'not') collectFields(e.arg, into, paths);
}

/** The paths a sync model's name expression reads; none when it has none or does not parse. */
export function expressionPaths(template: string | null): string[] {
  if (!template) return [];
  try {
    return compileNameExpression(template).paths;
  } catch (err) {
    if (err instanceof NameExpressionError) return [];
    throw err;
  }
}

const falsy = (v: unknown) => v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);

function evaluate(e: Expr, read: (path: string) => unknown): unknown {
  switch (e.t) {
    case 'lit': return e.value;
    case 'path': return read(e.path);
    case 'not': return falsy(evaluate(e.arg, read));
    case 'and': {
      const l = evaluate(e.left, read);
      return falsy(l) ? l : evaluate(e.right, read);
    }
    case 'or': {
      const l = evaluate(e.left, read);
      return falsy(l) ? evaluate(e.right, read) : l;
    }
  }
}

function display(v: unknown): string {
  if (v === undefined || v === null || v === false) return 'False';
  if (v === true) return 'True';
  if (Array.isArray(v)) return v.map(display).join(', ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return display(o.display_name ?? o.name ?? JSON.stringify(o));
  }
  return String(v);
}

/**
 * Renders a name expression for one record, or null when it does not parse: the manual
 * falls back to the display name then ("In case the expression cannot be parsed because
 * of the syntax error, the standard name_get method will be used").
 */
export function renderNameExpression(template: string | CompiledNameExpression, read: (path: string) => unknown): string | null {
  let compiled: CompiledNameExpression;
  try {
    compiled = typeof template === 'string' ? compileNameExpression(template) : template;
  } catch (err) {
    if (err instanceof NameExpressionError) return null;
    throw err;
  }
  return compiled.parts.map((p) => (p.t === 'text' ? p.text : display(evaluate(p.expr, read)))).join('');
}
