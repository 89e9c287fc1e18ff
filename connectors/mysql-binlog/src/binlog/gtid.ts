/**
 * GTID state as text and as the COM_BINLOG_DUMP_GTID payload: MySQL GTID sets ('uuid:1-5:7-9,uuid2:3'),
 * MariaDB GTID positions ('0-1-100,1-2-5'), and addGtid, which folds one more transaction into either.
 *
 * MySQL transaction numbers (GNOs) are kept as JavaScript numbers: the server allows 1 to 2^63-1, but a set
 * holding a GNO above Number.MAX_SAFE_INTEGER (2^53-1, nine quadrillion transactions) is rejected with an error
 * rather than silently rounded. Tagged GTIDs (MySQL 8.3+, 'uuid:tag:1-5') are rejected as unsupported.
 * MariaDB sequence numbers are uint64 and kept as bigint, so nothing loses precision.
 */

/** [first, last] transaction numbers, both inclusive. */
type Interval = [first: number, last: number];

const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_PLAIN = /^[0-9a-f]{32}$/;

/** A source UUID in canonical form (lowercase, dashed); MySQL also accepts the 32 hex digits without dashes. */
function parseUuid(text: string, context: string): string {
  const lower = text.toLowerCase();
  if (UUID_DASHED.test(lower)) return lower;
  if (UUID_PLAIN.test(lower)) {
    return `${lower.slice(0, 8)}-${lower.slice(8, 12)}-${lower.slice(12, 16)}-${lower.slice(16, 20)}-${lower.slice(20)}`;
  }
  throw new Error(`invalid GTID source UUID '${text}' in '${context}'`);
}

/** A GNO: decimal digits, 1 to Number.MAX_SAFE_INTEGER. */
function parseGno(text: string, context: string): number {
  if (/^[a-z_]/i.test(text)) throw new Error(`tagged GTIDs (MySQL 8.3+) are not supported: '${context}'`);
  if (!/^\d+$/.test(text)) throw new Error(`invalid GTID transaction number '${text}' in '${context}'`);
  const n = Number(text);
  if (n < 1) throw new Error(`GTID transaction numbers start at 1, got '${text}' in '${context}'`);
  if (n > Number.MAX_SAFE_INTEGER) {
    throw new Error(`GTID transaction number ${text} in '${context}' exceeds ${Number.MAX_SAFE_INTEGER}, the largest supported`);
  }
  return n;
}

/** Index of the first interval that could touch [first, ...]: the first whose last + 1 >= first. */
function firstTouching(list: readonly Interval[], first: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]![1] + 1 < first) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds [first, last] to a sorted, disjoint, non-adjacent interval list, merging what it overlaps or touches. */
function insertInterval(list: Interval[], first: number, last: number): void {
  const at = firstTouching(list, first);
  let end = at;
  let lo = first;
  let hi = last;
  while (end < list.length && list[end]![0] <= hi + 1) {
    lo = Math.min(lo, list[end]![0]);
    hi = Math.max(hi, list[end]![1]);
    end++;
  }
  list.splice(at, end - at, [lo, hi]);
}

function parseSingleMySqlGtid(gtid: string): { uuid: string; gno: number } {
  const text = gtid.replace(/\s+/g, '');
  const parts = text.split(':');
  if (parts.length !== 2) {
    if (parts.length === 3) parseGno(parts[1]!, gtid); // a tag: says so
    throw new Error(`invalid GTID '${gtid}': expected 'uuid:number'`);
  }
  return { uuid: parseUuid(parts[0]!, gtid), gno: parseGno(parts[1]!, gtid) };
}

/** A MySQL GTID set: per source UUID, the sorted, merged intervals of executed transactions. */
export class MySqlGtidSet {
  readonly #sids = new Map<string, Interval[]>();

  /** Parses '' (empty) or 'uuid:1-5:7,uuid2:3' (whitespace and newlines ignored); throws on malformed text. */
  static parse(text: string): MySqlGtidSet {
    const set = new MySqlGtidSet();
    const compact = text.replace(/\s+/g, '');
    if (compact === '') return set;
    for (const entry of compact.split(',')) {
      const parts = entry.split(':');
      if (parts.length < 2) throw new Error(`invalid GTID set entry '${entry}' in '${compact}': expected 'uuid:interval[:interval...]'`);
      const uuid = parseUuid(parts[0]!, entry);
      for (const item of parts.slice(1)) {
        const bounds = item.split('-');
        if (bounds.length > 2) throw new Error(`invalid GTID interval '${item}' in '${entry}'`);
        const first = parseGno(bounds[0]!, entry);
        const last = bounds.length === 2 ? parseGno(bounds[1]!, entry) : first;
        if (last < first) throw new Error(`invalid GTID interval '${item}' in '${entry}': end before start`);
        set.#addInterval(uuid, first, last);
      }
    }
    return set;
  }

  /** Adds one transaction, 'uuid:gno'. */
  add(gtid: string): void {
    const { uuid, gno } = parseSingleMySqlGtid(gtid);
    this.#addInterval(uuid, gno, gno);
  }

  /** Whether one transaction, 'uuid:gno', is in the set. */
  contains(gtid: string): boolean {
    const { uuid, gno } = parseSingleMySqlGtid(gtid);
    const list = this.#sids.get(uuid);
    if (list === undefined) return false;
    const at = firstTouching(list, gno);
    const iv = list[at];
    return iv !== undefined && iv[0] <= gno && gno <= iv[1];
  }

  isEmpty(): boolean {
    return this.#sids.size === 0;
  }

  /** Canonical text: lowercase UUIDs in ascending order, merged intervals, 'n' for a single transaction, no spaces. */
  toString(): string {
    return this.#sorted()
      .map(([uuid, list]) => `${uuid}:${list.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(':')}`)
      .join(',');
  }

  /**
   * The COM_BINLOG_DUMP_GTID data (the Previous_gtids layout): n_sids uint64, then per source its 16 UUID bytes,
   * n_intervals uint64 and per interval start int64 and end int64 EXCLUSIVE (last + 1); all little-endian.
   */
  encode(): Buffer {
    const sorted = this.#sorted();
    let size = 8;
    for (const [, list] of sorted) size += 16 + 8 + list.length * 16;
    const out = Buffer.alloc(size);
    let pos = out.writeBigUInt64LE(BigInt(sorted.length), 0);
    for (const [uuid, list] of sorted) {
      pos += Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(out, pos);
      pos = out.writeBigUInt64LE(BigInt(list.length), pos);
      for (const [first, last] of list) {
        pos = out.writeBigInt64LE(BigInt(first), pos);
        pos = out.writeBigInt64LE(BigInt(last) + 1n, pos);
      }
    }
    return out;
  }

  #addInterval(uuid: string, first: number, last: number): void {
    let list = this.#sids.get(uuid);
    if (list === undefined) this.#sids.set(uuid, (list = []));
    insertInterval(list, first, last);
  }

  #sorted(): Array<[string, Interval[]]> {
    return [...this.#sids.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** One MariaDB GTID: replication domain, originating server, sequence number. */
export interface MariaDbGtid {
  domain: number;
  server: number;
  seq: bigint | number | string;
}

const UINT64_MAX = 0xffffffffffffffffn;

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function checkUint32(n: number, what: string, context: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`invalid MariaDB GTID ${what} ${n} in '${context}'`);
  return n;
}

function toSeq(seq: bigint | number | string, context: string): bigint {
  let value: bigint;
  if (typeof seq === 'bigint') value = seq;
  else if (typeof seq === 'number' && Number.isSafeInteger(seq)) value = BigInt(seq);
  else if (typeof seq === 'string' && /^\d+$/.test(seq)) value = BigInt(seq);
  else throw new Error(`invalid MariaDB GTID sequence number '${String(seq)}' in '${context}'`);
  if (value < 0n || value > UINT64_MAX) throw new Error(`MariaDB GTID sequence number ${value} out of range in '${context}'`);
  return value;
}

/** 'domain-server-seq' (decimal, no signs); throws on anything else. */
function parseMariaDbGtid(text: string): { domain: number; server: number; seq: bigint } {
  const m = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/.exec(text);
  if (!m) throw new Error(`invalid MariaDB GTID '${text}': expected 'domain-server-sequence'`);
  return {
    domain: checkUint32(Number(m[1]), 'domain id', text),
    server: checkUint32(Number(m[2]), 'server id', text),
    seq: toSeq(m[3]!, text),
  };
}

/** A MariaDB GTID position: the last transaction per replication domain. */
export class MariaDbGtidPosition {
  readonly #domains = new Map<number, { server: number; seq: bigint }>();

  /** Parses '' (empty) or 'd-s-n,d-s-n' (whitespace ignored); throws on malformed text or a repeated domain. */
  static parse(text: string): MariaDbGtidPosition {
    const position = new MariaDbGtidPosition();
    const compact = text.replace(/\s+/g, '');
    if (compact === '') return position;
    for (const entry of compact.split(',')) {
      const g = parseMariaDbGtid(entry);
      if (position.#domains.has(g.domain)) throw new Error(`MariaDB GTID position '${compact}' names domain ${g.domain} twice`);
      position.#domains.set(g.domain, { server: g.server, seq: g.seq });
    }
    return position;
  }

  /** Records a transaction as its domain's latest, replacing the previous entry (even one with a higher seq). */
  add(gtid: MariaDbGtid): void {
    const { domain, server, seq } = gtid;
    // The common case (a parsed GTID, as streaming adds one per transaction) without building the error context.
    if (typeof seq === 'bigint' && isUint32(domain) && isUint32(server) && seq >= 0n && seq <= UINT64_MAX) {
      this.#domains.set(domain, { server, seq });
      return;
    }
    const context = `${domain}-${server}-${String(seq)}`;
    this.#domains.set(checkUint32(domain, 'domain id', context), { server: checkUint32(server, 'server id', context), seq: toSeq(seq, context) });
  }

  /** add() for the text form 'domain-server-seq'; throws on malformed text. */
  addText(gtid: string): void {
    this.add(parseMariaDbGtid(gtid.trim()));
  }

  isEmpty(): boolean {
    return this.#domains.size === 0;
  }

  /** 'd-s-n' entries in ascending domain order, joined by ','. */
  toString(): string {
    if (this.#domains.size === 1) {
      for (const [domain, { server, seq }] of this.#domains) return `${domain}-${server}-${seq}`;
    }
    return [...this.#domains.entries()]
      .sort(([a], [b]) => a - b)
      .map(([domain, { server, seq }]) => `${domain}-${server}-${seq}`)
      .join(',');
  }
}

/**
 * The GTID state `state` plus one more transaction `gtid` (MariaDB 'd-s-n', MySQL 'uuid:n'); `state` unchanged
 * when either is undefined or when a MariaDB `gtid` is malformed. A malformed state, or MySQL gtid, throws.
 */
export function addGtid(state: string | undefined, gtid: string | undefined, isMariaDb: boolean): string | undefined {
  if (state === undefined || gtid === undefined) return state;
  if (isMariaDb) {
    let g: ReturnType<typeof parseMariaDbGtid>;
    try {
      g = parseMariaDbGtid(gtid.trim());
    } catch {
      return state;
    }
    const position = lastMariaDb?.text === state ? lastMariaDb.value : MariaDbGtidPosition.parse(state);
    lastMariaDb = undefined;
    position.add(g);
    const text = position.toString();
    lastMariaDb = { text, value: position };
    return text;
  }
  const set = lastMySql?.text === state ? lastMySql.value : MySqlGtidSet.parse(state);
  lastMySql = undefined; // a failing add() below must not leave a half-changed set behind its old text
  set.add(gtid);
  const text = set.toString();
  lastMySql = { text, value: set };
  return text;
}

/**
 * The last state addGtid returned, parsed: a stream passes it back with the next transaction's GTID, so the state is
 * parsed once per stream instead of once per transaction. Keyed by its exact text, so a different state (another
 * stream, a restart) is parsed as before; the parsed object is only ever the parse of that text.
 */
let lastMariaDb: { text: string; value: MariaDbGtidPosition } | undefined;
let lastMySql: { text: string; value: MySqlGtidSet } | undefined;
