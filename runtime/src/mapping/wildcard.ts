/**
 * DMS name patterns: % matches any run of characters (including none), _ matches exactly one character,
 * [_] is a literal underscore, [ab] a set and [a-d] a range. Matching is case-sensitive, as in DMS.
 */
export function compileDmsPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) { re += '\\['; continue; }
      const body = pattern.slice(i + 1, end);
      re += body === '_' ? '_' : `[${body.replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.*+?^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function matchesDmsPattern(pattern: string, name: string): boolean {
  return compileDmsPattern(pattern).test(name);
}
