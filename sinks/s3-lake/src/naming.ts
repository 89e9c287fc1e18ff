/** The lake's path parts of a table (kept free of DuckDB and the AWS SDK: the descriptor's destinationOf uses it). */

export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Hive's escaping of partition path parts (FileUtils.escapePathName): control characters and the characters below become %XX. */
export function escapePathPart(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || c === 0x7f || '"#%\'*/:=?\\{[]^'.includes(ch) ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out === '' ? HIVE_DEFAULT_PARTITION : out;
}

/**
 * The folder of a table under the target's location: `<location>/<schema>/<table>/`. The escaping is one-to-one
 * ('%' itself is escaped), so two tables share a folder only when their mapped names are equal.
 */
export function tableFolder(location: string, t: { readonly schema: string; readonly table: string }): string {
  return `${location.replace(/\/+$/, '')}/${escapePathPart(t.schema)}/${escapePathPart(t.table)}/`;
}
