/**
 * Identifiers and literals in the two target dialects. Every identifier Ferry writes is quoted, so names keep their
 * case, spaces, quotes, unicode and reserved words exactly: PostgreSQL "…" (a " doubled), MySQL/MariaDB `…`
 * (a ` doubled). String literals are standard SQL ('…' with ' doubled); MySQL's backslash escapes are doubled
 * too, so the text means the same with and without NO_BACKSLASH_ESCAPES.
 */

export type Dialect = 'postgres' | 'mysql' | 'mariadb';

export const isMySqlFamily = (d: Dialect | 'mysql' | 'mariadb' | 'postgres'): boolean => d === 'mysql' || d === 'mariadb';

export function quotePg(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteMy(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return `\`${name.replace(/`/g, '``')}\``;
}

export function quoteIdent(dialect: Dialect, name: string): string {
  return dialect === 'postgres' ? quotePg(name) : quoteMy(name);
}

/** `schema.name`, each part quoted. */
export function qualified(dialect: Dialect, schema: string, name: string): string {
  return `${quoteIdent(dialect, schema)}.${quoteIdent(dialect, name)}`;
}

export function literal(dialect: Dialect, text: string): string {
  const body = text.replace(/'/g, "''");
  return dialect === 'postgres' ? `'${body}'` : `'${body.replace(/\\/g, '\\\\')}'`;
}

/** PostgreSQL truncates identifiers to 63 bytes, MySQL refuses names over 64 characters: shorten with a stable suffix. */
export function fitName(dialect: Dialect, name: string): string {
  const limit = dialect === 'postgres' ? 63 : 64;
  const size = (s: string) => (dialect === 'postgres' ? Buffer.byteLength(s) : [...s].length);
  if (size(name) <= limit) return name;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  const suffix = `_${h.toString(36)}`;
  let cut = [...name];
  while (size(cut.join('') + suffix) > limit) cut = cut.slice(0, -1);
  return cut.join('') + suffix;
}
