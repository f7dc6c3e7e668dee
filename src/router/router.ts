/**
 * The hand-rolled router. Routes are added with `add(method, pattern, value)` and compiled once by `compile()`;
 * matching then costs one Map lookup for static paths (almost every API path) and a short walk over a segment
 * trie for paths with parameters such as `/api/notes/:id/`. Build-time structures are dropped after compiling.
 *
 * Matching answers one of four outcomes, mirroring Django + DRF:
 *  - found: the path is known; the caller picks the method's value from `entry.byMethod` (or answers 405 with
 *    `entry.allow`, after the pipeline, as DRF checks the method last);
 *  - redirect: the path is known with a trailing slash that the request lacks (Django's APPEND_SLASH → 301);
 *  - not found.
 */
export const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof METHOD_ORDER)[number];

export interface PathEntry<V> {
  /** The route pattern as declared, e.g. `/api/notes/:id/`. */
  readonly pattern: string;
  readonly paramNames: readonly string[];
  /** Value per method. HEAD falls back to GET and OPTIONS is answered by the caller when not declared. */
  readonly byMethod: ReadonlyMap<string, V>;
  /** The `Allow` header in DRF order, always ending with OPTIONS. */
  readonly allow: string;
  /** The value of the first route declared on this path: its policy governs methods the path does not serve. */
  readonly first: V;
}

export interface RouteMatch<V> {
  entry: PathEntry<V> | null;
  /** Decoded parameter values in pattern order; the same array is reused between calls: copy what you keep. */
  params: string[];
  /** Set when the path is only known with a trailing slash (value: the path to redirect to, without query). */
  redirect: string | null;
}

interface TrieNode<V> {
  statics: Map<string, TrieNode<V>>;
  param: TrieNode<V> | null;
  entry: PathEntry<V> | null;
}

const newNode = <V>(): TrieNode<V> => ({ statics: new Map(), param: null, entry: null });

export class RouterError extends Error {}

export class Router<V> {
  private readonly pending = new Map<string, { paramNames: string[]; methods: Map<string, V>; first: V }>();
  private readonly staticPaths = new Map<string, PathEntry<V>>();
  private readonly root: TrieNode<V> = newNode();
  private compiled = false;
  private readonly result: RouteMatch<V> = { entry: null, params: [], redirect: null };

  add(method: string, pattern: string, value: V): this {
    if (this.compiled) throw new RouterError('routes cannot be added after compile()');
    const upper = method.toUpperCase();
    if (!(METHOD_ORDER as readonly string[]).includes(upper))
      throw new RouterError(`unsupported method ${method}`);
    const paramNames = parsePattern(pattern);
    let record = this.pending.get(pattern);
    if (!record) {
      record = { paramNames, methods: new Map(), first: value };
      this.pending.set(pattern, record);
    }
    if (record.methods.has(upper)) throw new RouterError(`duplicate route ${upper} ${pattern}`);
    record.methods.set(upper, value);
    return this;
  }

  compile(): this {
    if (this.compiled) return this;
    const shapes = new Map<string, string>();
    for (const [pattern, record] of this.pending) {
      const methods = new Set(record.methods.keys());
      if (methods.has('GET')) methods.add('HEAD');
      methods.add('OPTIONS');
      const entry: PathEntry<V> = Object.freeze({
        pattern,
        paramNames: Object.freeze(record.paramNames),
        byMethod: record.methods,
        allow: METHOD_ORDER.filter((m) => methods.has(m)).join(', '),
        first: record.first,
      });
      if (record.paramNames.length === 0) {
        this.staticPaths.set(pattern, entry);
        continue;
      }
      // Two patterns that differ only in parameter names would shadow each other: refuse at start-up.
      const shape = pattern.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, ':');
      const clash = shapes.get(shape);
      if (clash !== undefined) throw new RouterError(`route ${pattern} is ambiguous with ${clash}`);
      shapes.set(shape, pattern);
      let node = this.root;
      for (const segment of pattern.split('/')) {
        if (segment.startsWith(':')) node = node.param ??= newNode();
        else {
          let next = node.statics.get(segment);
          if (!next) node.statics.set(segment, (next = newNode()));
          node = next;
        }
      }
      node.entry = entry;
    }
    this.pending.clear();
    this.compiled = true;
    return this;
  }

  /** All compiled entries (for the OpenAPI document and diagnostics). */
  entries(): PathEntry<V>[] {
    const out = [...this.staticPaths.values()];
    const walk = (node: TrieNode<V>): void => {
      if (node.entry) out.push(node.entry);
      for (const child of node.statics.values()) walk(child);
      if (node.param) walk(node.param);
    };
    walk(this.root);
    return out;
  }

  /**
   * Finds the entry for a request path (the path only: no query string). The returned object is reused by the
   * next call, which is safe because matching happens synchronously at the start of each request.
   */
  match(path: string): RouteMatch<V> {
    const result = this.result;
    result.redirect = null;
    result.params.length = 0;
    result.entry = this.staticPaths.get(path) ?? null;
    if (result.entry !== null) return result;
    result.entry = this.matchParams(path, result.params);
    if (result.entry !== null) return result;
    // Django's CommonMiddleware (APPEND_SLASH): a path that is only known with a trailing slash is redirected.
    if (path.charCodeAt(path.length - 1) !== 47 /* / */) {
      const slashed = path + '/';
      if (this.staticPaths.has(slashed) || this.matchParams(slashed, []) !== null) result.redirect = slashed;
      result.params.length = 0;
    }
    return result;
  }

  private matchParams(path: string, params: string[]): PathEntry<V> | null {
    if (this.root.statics.size === 0 && this.root.param === null) return null;
    const segments = path.split('/');
    return this.walk(this.root, segments, 0, params);
  }

  private walk(node: TrieNode<V>, segments: string[], i: number, params: string[]): PathEntry<V> | null {
    if (i === segments.length) return node.entry;
    const segment = segments[i]!;
    const child = node.statics.get(segment);
    if (child) {
      const found = this.walk(child, segments, i + 1, params);
      if (found) return found;
    }
    // A parameter matches one non-empty segment; it never spans a '/'.
    if (node.param && segment.length > 0) {
      const decoded = safeDecode(segment);
      if (decoded === null) return null;
      params.push(decoded);
      const found = this.walk(node.param, segments, i + 1, params);
      if (found) return found;
      params.pop();
    }
    return null;
  }
}

function parsePattern(pattern: string): string[] {
  if (!pattern.startsWith('/')) throw new RouterError(`route ${pattern} must start with /`);
  if (pattern.includes('?') || pattern.includes('#') || pattern.includes('//'))
    throw new RouterError(`route ${pattern} is not a plain path`);
  const names: string[] = [];
  for (const segment of pattern.split('/')) {
    if (segment.startsWith(':')) {
      const name = segment.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new RouterError(`route ${pattern}: bad parameter name "${name}"`);
      if (names.includes(name)) throw new RouterError(`route ${pattern}: parameter ${name} repeated`);
      names.push(name);
    } else if (segment.includes(':'))
      throw new RouterError(`route ${pattern}: a parameter must be a whole segment`);
  }
  return names;
}

function safeDecode(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
