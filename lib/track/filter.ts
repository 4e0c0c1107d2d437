/**
 * The run filter language: MLflow's search syntax (a SQL WHERE subset) plus OR, NOT and parentheses, which
 * MLflow lacks (mlflow/mlflow#4135). A hand-written tokenizer and recursive-descent parser build an AST that
 * is evaluated against run records; nothing is ever passed to `eval`, `Function` or a RegExp built from input.
 *
 * ```
 * filter     := or EOF                          (an empty filter matches every run)
 * or         := and (OR and)*
 * and        := not (AND not)*
 * not        := NOT not | '(' or ')' | comparison
 * comparison := field op literal                 op: = == != <> < <= > >=
 *             | field [NOT] IN '(' literal (',' literal)* ')'
 *             | field [NOT] LIKE string | field [NOT] ILIKE string      (% any run, _ one character)
 *             | field IS [NOT] NULL
 * field      := namespace '.' name ('.' name)*   name: word, integer, `back-quoted` or "double-quoted"
 * namespace  := params | metrics | tags | attributes | provenance  (also param, metric, tag, attribute, attr, run)
 * literal    := 'string' | "string" | number | TRUE | FALSE
 * ```
 * Parentheses and NOT nest at most 100 levels ({@link MAX_FILTER_DEPTH}); AND/OR chains may be any length.
 * Keywords are case-insensitive. Words may contain `- / :` after their first character (`metrics.train/loss`).
 * `metrics.k` is the run's summary value of `k`; `params.a.b` walks nested params (or reads a dotted key);
 * `attributes.` has id, name, experiment, status, created, ended, heartbeat, host, pid (MLflow's run_id,
 * run_name, start_time, end_time also work). Times compare as epoch ms, or with a date string
 * (`attributes.created > "2026-11-01"`).
 *
 * Comparison rules: numbers compare numerically; a number and a numeric string compare as numbers (MLflow
 * stores params as strings, so `params.k = "20"` and `params.k = 20` both match 20); other strings compare by
 * code point; `=`/`!=` between other types compare their text. A missing value satisfies no comparison except
 * `IS NULL` (as in SQL).
 */
import { ConfigError } from '../errors.js';
import type { RunRecord } from './types.js';

/** A filter or order-by string that does not parse. `position` is the 0-based index of the offending character. */
export class FilterError extends ConfigError {
  constructor(
    readonly filter: string,
    readonly position: number,
    readonly reason: string,
    what: 'filter' | 'order-by' = 'filter',
  ) {
    super(what, [{ path: what, value: filter, message: `${reason} at column ${position + 1}` }]);
    this.name = 'FilterError';
    this.message = formatFilterError(what, filter, position, reason);
  }
}

/** `invalid filter: <reason> at column N`, then the filter and a caret under the offending character. */
export function formatFilterError(what: string, filter: string, position: number, reason: string): string {
  const shown = filter.replace(/[\t\r\n]/g, ' ');
  return `invalid ${what}: ${reason} at column ${position + 1}\n  ${shown}\n  ${' '.repeat(position)}^`;
}

// ---------------------------------------------------------------------------------------------- tokenizer

type TokenKind = 'word' | 'number' | 'string' | 'quoted' | 'op' | '.' | '(' | ')' | ',' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
  /** Decoded value of strings / back-quoted names, parsed value of numbers. */
  value?: string | number;
  /** The quote character of a string token. */
  quote?: string;
}

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_\-/:]/;
const NUMBER_AT = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/;
const OPS = ['==', '!=', '<>', '<=', '>=', '=', '<', '>'];

export function tokenize(src: string, what: 'filter' | 'order-by' = 'filter'): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (pos: number, reason: string): never => {
    throw new FilterError(src, pos, reason, what);
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',' || c === '.') {
      // A '.' that starts a number (".5") is a number; otherwise punctuation.
      if (c === '.' && /\d/.test(src[i + 1] ?? '') && !(tokens.length && tokens[tokens.length - 1].kind === 'word')) {
        // fall through to numbers below
      } else {
        tokens.push({ kind: c, text: c, pos: i });
        i++;
        continue;
      }
    }
    if (c === "'" || c === '"' || c === '`') {
      let out = '';
      i++;
      for (;;) {
        if (i >= src.length) fail(start, `unterminated ${c === '`' ? 'back-quoted name' : 'string'} (opened here)`);
        const ch = src[i];
        if (ch === '\\' && i + 1 < src.length) {
          out += src[i + 1];
          i += 2;
          continue;
        }
        if (ch === c) {
          if (src[i + 1] === c) {
            out += c; // doubled quote, SQL style
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += ch;
        i++;
      }
      tokens.push({ kind: c === '`' ? 'quoted' : 'string', text: src.slice(start, i), pos: start, value: out, quote: c });
      continue;
    }
    const num = NUMBER_AT.exec(src.slice(i));
    if (num && (c !== '-' || /[\d.]/.test(src[i + 1] ?? ''))) {
      const next = src[i + num[0].length];
      if (next !== undefined && WORD_START.test(next)) fail(i + num[0].length, `unexpected ${JSON.stringify(next)} after the number ${num[0]}`);
      tokens.push({ kind: 'number', text: num[0], pos: i, value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (WORD_START.test(c)) {
      while (i < src.length && WORD_CHAR.test(src[i])) i++;
      tokens.push({ kind: 'word', text: src.slice(start, i), pos: start });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    fail(i, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'eof', text: '', pos: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------- AST

export type Namespace = 'params' | 'metrics' | 'tags' | 'attributes' | 'provenance';
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type Literal = string | number | boolean;

/** A field reference such as `params.train.k`. */
export interface Field {
  ns: Namespace;
  path: string[];
  /** For attributes: the canonical attribute name. */
  attribute?: AttributeName;
  pos: number;
  text: string;
}

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'compare'; field: Field; op: CompareOp; value: Literal }
  | { kind: 'in'; field: Field; values: Literal[]; negate: boolean }
  | { kind: 'like'; field: Field; pattern: string; caseInsensitive: boolean; negate: boolean }
  | { kind: 'null'; field: Field; negate: boolean }
  | { kind: 'true' };

const NAMESPACES: Record<string, Namespace> = {
  params: 'params',
  param: 'params',
  metrics: 'metrics',
  metric: 'metrics',
  tags: 'tags',
  tag: 'tags',
  attributes: 'attributes',
  attribute: 'attributes',
  attr: 'attributes',
  run: 'attributes',
  provenance: 'provenance',
};

export const ATTRIBUTES = ['id', 'name', 'experiment', 'status', 'created', 'ended', 'heartbeat', 'host', 'pid'] as const;
export type AttributeName = (typeof ATTRIBUTES)[number];
const ATTRIBUTE_ALIASES: Record<string, AttributeName> = {
  id: 'id',
  run_id: 'id',
  name: 'name',
  run_name: 'name',
  experiment: 'experiment',
  experiment_name: 'experiment',
  status: 'status',
  created: 'created',
  start_time: 'created',
  ended: 'ended',
  end_time: 'ended',
  heartbeat: 'heartbeat',
  host: 'host',
  pid: 'pid',
};
const TIME_ATTRIBUTES = new Set<AttributeName>(['created', 'ended', 'heartbeat']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'like', 'ilike', 'is', 'null', 'true', 'false', 'asc', 'desc']);

// ---------------------------------------------------------------------------------------------- parser

/**
 * How deeply parentheses and NOT may nest. The parser and the evaluator recurse once per level, so a hostile
 * filter (20,000 parentheses, 30,000 NOTs) would overflow the stack; real filters nest a few levels.
 */
export const MAX_FILTER_DEPTH = 100;

/**
 * `a AND b AND c …` as a balanced tree (depth log₂ n, so a 50,000-term chain evaluates without deep recursion).
 * AND and OR are associative and evaluation is in order, so results and short-circuiting match the left-deep tree.
 */
function balanced(kind: 'and' | 'or', terms: FilterExpr[], lo = 0, hi = terms.length): FilterExpr {
  if (hi - lo === 1) return terms[lo];
  const mid = (lo + hi) >>> 1;
  return { kind, left: balanced(kind, terms, lo, mid), right: balanced(kind, terms, mid, hi) };
}

class Parser {
  #i = 0;
  constructor(
    readonly src: string,
    readonly tokens: Token[],
    readonly what: 'filter' | 'order-by',
  ) {}

  get peek(): Token {
    return this.tokens[this.#i];
  }
  next(): Token {
    return this.tokens[this.#i++];
  }
  isWord(word: string, t: Token = this.peek): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === word;
  }
  fail(t: Token, reason: string): never {
    throw new FilterError(this.src, t.pos, reason, this.what);
  }
  describe(t: Token): string {
    return t.kind === 'eof' ? 'the end of the input' : JSON.stringify(t.text);
  }
  expect(kind: TokenKind, what: string): Token {
    const t = this.peek;
    if (t.kind !== kind) this.fail(t, `expected ${what} but found ${this.describe(t)}`);
    return this.next();
  }

  filter(): FilterExpr {
    if (this.peek.kind === 'eof') return { kind: 'true' };
    const e = this.or();
    const t: Token = this.tokens[this.#i]; // (not this.peek: TS keeps the narrowing from above)
    if (t.kind !== 'eof') {
      this.fail(t, `expected AND, OR or the end of the filter but found ${this.describe(t)}`);
    }
    return e;
  }

  or(): FilterExpr {
    const terms = [this.and()];
    while (this.isWord('or')) {
      this.next();
      terms.push(this.and());
    }
    return balanced('or', terms);
  }

  and(): FilterExpr {
    const terms = [this.not()];
    while (this.isWord('and')) {
      this.next();
      terms.push(this.not());
    }
    return balanced('and', terms);
  }

  /** Nesting of parentheses and NOT so far; past {@link MAX_FILTER_DEPTH} the filter is refused. */
  #depth = 0;

  not(): FilterExpr {
    const nests = this.isWord('not') || this.peek.kind === '(';
    if (!nests) return this.comparison();
    if (this.#depth >= MAX_FILTER_DEPTH) this.fail(this.peek, `nested deeper than ${MAX_FILTER_DEPTH} levels (parentheses and NOT)`);
    this.#depth++;
    try {
      if (this.isWord('not')) {
        this.next();
        return { kind: 'not', expr: this.not() };
      }
      this.next();
      const e = this.or();
      this.expect(')', "')' to close the parenthesis");
      return e;
    } finally {
      this.#depth--;
    }
  }

  field(): Field {
    const head = this.peek;
    if (head.kind !== 'word' || KEYWORDS.has(head.text.toLowerCase())) {
      this.fail(head, `expected a field such as params.<name>, metrics.<name>, tags.<name> or attributes.<name> but found ${this.describe(head)}`);
    }
    // A word may have swallowed '-', '/', ':'; only the namespace part matters here.
    const ns = NAMESPACES[head.text.toLowerCase()];
    if (!ns) this.fail(head, `unknown field namespace ${JSON.stringify(head.text)}; allowed: params, metrics, tags, attributes, provenance`);
    this.next();
    if (this.peek.kind !== '.') this.fail(this.peek, `expected '.' and a name after ${JSON.stringify(head.text)}`);
    const path: string[] = [];
    while (this.peek.kind === '.') {
      this.next();
      const t = this.peek;
      if (t.kind === 'word') path.push(t.text);
      else if (t.kind === 'quoted' || (t.kind === 'string' && t.quote === '"')) path.push(String(t.value));
      else if (t.kind === 'number' && /^\d+$/.test(t.text)) path.push(t.text);
      else this.fail(t, `expected a name after '.' but found ${this.describe(t)}`);
      this.next();
    }
    const end = this.tokens[this.#i - 1];
    const field: Field = { ns, path, pos: head.pos, text: this.src.slice(head.pos, end.pos + end.text.length) };
    if (ns === 'attributes') {
      const key = path.join('.').toLowerCase();
      const attribute = Object.hasOwn(ATTRIBUTE_ALIASES, key) ? ATTRIBUTE_ALIASES[key] : undefined;
      if (!attribute) this.fail(this.tokens[this.#i - 1], `unknown attribute ${JSON.stringify(path.join('.'))}; allowed: ${ATTRIBUTES.join(', ')}`);
      field.attribute = attribute;
    }
    return field;
  }

  literal(field: Field): Literal {
    const t = this.peek;
    let value: Literal;
    if (t.kind === 'string') value = String(t.value);
    else if (t.kind === 'number') value = Number(t.value);
    else if (this.isWord('true')) value = true;
    else if (this.isWord('false')) value = false;
    else this.fail(t, `expected a value (a quoted string, a number, TRUE or FALSE) but found ${this.describe(t)}`);
    if (field.attribute && TIME_ATTRIBUTES.has(field.attribute) && typeof value === 'string') {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) this.fail(t, `${field.text} is a time; ${JSON.stringify(value)} is not a date (use ISO 8601 such as "2026-11-26T18:00:00Z", or epoch ms)`);
      value = ms;
    }
    this.next();
    return value;
  }

  comparison(): FilterExpr {
    const field = this.field();
    const t = this.peek;
    if (t.kind === 'op') {
      this.next();
      const op: CompareOp = t.text === '==' ? '=' : t.text === '<>' ? '!=' : (t.text as CompareOp);
      return { kind: 'compare', field, op, value: this.literal(field) };
    }
    if (this.isWord('is')) {
      this.next();
      const negate = this.isWord('not');
      if (negate) this.next();
      if (!this.isWord('null')) this.fail(this.peek, `expected NULL after IS${negate ? ' NOT' : ''} but found ${this.describe(this.peek)}`);
      this.next();
      return { kind: 'null', field, negate };
    }
    const negate = this.isWord('not');
    if (negate) this.next();
    if (this.isWord('in')) {
      this.next();
      this.expect('(', "'(' after IN");
      const values = [this.literal(field)];
      while (this.peek.kind === ',') {
        this.next();
        values.push(this.literal(field));
      }
      this.expect(')', "')' or ',' in the IN list");
      return { kind: 'in', field, values, negate };
    }
    if (this.isWord('like') || this.isWord('ilike')) {
      const caseInsensitive = this.isWord('ilike');
      this.next();
      const p = this.peek;
      if (p.kind !== 'string') this.fail(p, `expected a quoted pattern after ${caseInsensitive ? 'ILIKE' : 'LIKE'} but found ${this.describe(p)}`);
      this.next();
      return { kind: 'like', field, pattern: String(p.value), caseInsensitive, negate };
    }
    return this.fail(
      this.peek,
      `expected an operator (= != < <= > >= IN LIKE ILIKE IS) after ${field.text} but found ${this.describe(this.peek)}`,
    );
  }
}

/**
 * Parse a filter string.
 * @throws FilterError with the 0-based `position` of the first offending character.
 */
export function parseFilter(src: string): FilterExpr {
  return new Parser(src, tokenize(src), 'filter').filter();
}

/** One sort key. */
export interface OrderKey {
  field: Field;
  descending: boolean;
}

/**
 * Parse order-by specs: `"metrics.fid"`, `"metrics.fid DESC, attributes.created"`, or several strings.
 * @throws FilterError (`what` = order-by)
 */
export function parseOrderBy(specs: string | readonly string[]): OrderKey[] {
  const list = typeof specs === 'string' ? [specs] : specs;
  const keys: OrderKey[] = [];
  for (const src of list) {
    const p = new Parser(src, tokenize(src, 'order-by'), 'order-by');
    for (;;) {
      const field = p.field();
      let descending = false;
      if (p.isWord('asc') || p.isWord('desc')) descending = p.next().text.toLowerCase() === 'desc';
      keys.push({ field, descending });
      if (p.peek.kind === ',') {
        p.next();
        continue;
      }
      if (p.peek.kind !== 'eof') p.fail(p.peek, `expected ASC, DESC, ',' or the end but found ${p.describe(p.peek)}`);
      break;
    }
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------- evaluation

function own(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Walk `path` through nested objects (own properties only), or read the dotted key itself. */
function nested(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    cur = Array.isArray(cur) && /^\d+$/.test(seg) ? cur[Number(seg)] : own(cur, seg);
    if (cur === undefined) break;
  }
  return cur !== undefined ? cur : own(obj, path.join('.'));
}

/** The value a field refers to in a record; undefined (or null) when absent. */
export function fieldValue(rec: RunRecord, field: Field): unknown {
  switch (field.ns) {
    case 'params':
      return nested(rec.params, field.path);
    case 'metrics':
      return own(rec.summary, field.path.join('.'));
    case 'tags':
      return own(rec.tags, field.path.join('.'));
    case 'provenance':
      return nested(rec.provenance, field.path);
    case 'attributes':
      switch (field.attribute) {
        case 'id':
          return rec.id;
        case 'name':
          return rec.name;
        case 'experiment':
          return rec.experiment;
        case 'status':
          return rec.status;
        case 'created':
          return rec.createdAt;
        case 'ended':
          return rec.endedAt;
        case 'heartbeat':
          return rec.heartbeatAt;
        case 'host':
          return rec.host;
        case 'pid':
          return rec.pid;
        default:
          return undefined;
      }
  }
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function asText(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Apply one comparison; a missing actual value never matches. */
export function compareValues(actual: unknown, op: CompareOp, expected: Literal): boolean {
  if (actual === undefined || actual === null) return false;
  let a: number | string;
  let b: number | string;
  if (typeof actual === 'number' && typeof expected === 'number') {
    a = actual;
    b = expected;
  } else if ((typeof actual === 'number' || typeof expected === 'number') && asNumber(actual) !== null && asNumber(expected) !== null) {
    a = asNumber(actual) as number;
    b = asNumber(expected) as number;
  } else if (typeof actual === 'string' && typeof expected === 'string') {
    a = actual;
    b = expected;
  } else {
    // Mixed types that are not both numeric: only (in)equality of their text is meaningful.
    if (op === '=') return asText(actual) === asText(expected);
    if (op === '!=') return asText(actual) !== asText(expected);
    return false;
  }
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * SQL LIKE: `%` matches any run of characters, `_` exactly one. Iterative with one backtrack point, so
 * linear-ish time on any input (no regular expression built from user text).
 */
export function likeMatch(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '_' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '%') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '%') p++;
  return p === pattern.length;
}

/** Evaluate a parsed filter against a record. */
export function evaluate(expr: FilterExpr, rec: RunRecord): boolean {
  switch (expr.kind) {
    case 'true':
      return true;
    case 'and':
      return evaluate(expr.left, rec) && evaluate(expr.right, rec);
    case 'or':
      return evaluate(expr.left, rec) || evaluate(expr.right, rec);
    case 'not':
      return !evaluate(expr.expr, rec);
    case 'compare':
      return compareValues(fieldValue(rec, expr.field), expr.op, expr.value);
    case 'in': {
      const v = fieldValue(rec, expr.field);
      if (v === undefined || v === null) return false;
      return expr.values.some((x) => compareValues(v, '=', x)) !== expr.negate;
    }
    case 'like': {
      const v = fieldValue(rec, expr.field);
      if (v === undefined || v === null || typeof v === 'object') return false;
      const text = expr.caseInsensitive ? String(v).toLowerCase() : String(v);
      const pattern = expr.caseInsensitive ? expr.pattern.toLowerCase() : expr.pattern;
      return likeMatch(text, pattern) !== expr.negate;
    }
    case 'null': {
      const v = fieldValue(rec, expr.field);
      return (v === undefined || v === null) !== expr.negate;
    }
  }
}

/** Compile a filter string into a predicate. @throws FilterError */
export function compileFilter(src: string): (rec: RunRecord) => boolean {
  const expr = parseFilter(src);
  return (rec) => evaluate(expr, rec);
}
