/**
 * The forms a secret takes when something prints it, for the redactor in secrets.ts.
 *
 * A secret rarely reaches output as its exact text: JSON output escapes `"`, `\` and newlines (and a JSON string
 * logged inside JSON escapes them twice), a URL carries it percent-encoded (its userinfo, a query string, a form
 * body with `+` for space), util.inspect quotes it, and a message that shortens long values echoes only its first
 * characters followed by "..." or "…". `formsOf` lists the exact forms; `maskPrefixes` masks truncated echoes.
 */
import { inspect } from 'node:util';

/** A prefix at least this long, followed by an ellipsis or the end of the text, is a truncated echo. */
export const MIN_ECHO_PREFIX = 12;
/** A prefix at least this long is masked wherever it stands. */
export const LONG_PREFIX = 24;

const jsonInner = (s: string): string => JSON.stringify(s).slice(1, -1);
const asciiJson = (s: string): string => s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Every exact form of `s` that output could carry. */
export function formsOf(s: string): string[] {
  const out = new Set<string>([s]);
  const once = jsonInner(s);
  const twice = jsonInner(once);
  for (const f of [once, twice, asciiJson(once), asciiJson(twice), inspect(s, { maxStringLength: Infinity }).slice(1, -1)]) out.add(f);
  // Each line of a multi-line secret (a PEM key): a log line or an error may carry one of them.
  for (const line of s.split(/\r?\n/)) if (line !== s && line.length >= MIN_ECHO_PREFIX) out.add(line);
  const tryAdd = (f: () => string) => { try { out.add(f()); } catch { /* a lone surrogate cannot be encoded */ } };
  tryAdd(() => encodeURIComponent(s));
  tryAdd(() => encodeURIComponent(s).replace(/%20/g, '+'));
  tryAdd(() => encodeURI(s));
  tryAdd(() => new URLSearchParams({ v: s }).toString().slice(2));
  tryAdd(() => { const u = new URL('http://h/'); u.password = s; return u.password; });
  tryAdd(() => { const u = new URL('http://h/'); u.username = s; return u.username; });
  tryAdd(() => { const u = new URL('http://h/'); u.pathname = `/${s}`; return u.pathname.slice(1); });
  for (const f of [...out]) if (/%[0-9A-F]{2}/.test(f)) out.add(f.replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()));
  return [...out];
}

const ELLIPSES = ['...', '…', '\\u2026'];

/**
 * Masks truncated echoes of the forms in `text`: a prefix of a form of at least MIN_ECHO_PREFIX characters that is
 * followed by an ellipsis or ends the text, and any prefix of at least LONG_PREFIX characters.
 */
export function maskPrefixes(text: string, forms: readonly string[], hidden: string): string {
  const ranges: [number, number][] = [];
  for (const f of forms) {
    if (f.length < MIN_ECHO_PREFIX) continue;
    const head = f.slice(0, MIN_ECHO_PREFIX);
    for (let i = text.indexOf(head); i !== -1; i = text.indexOf(head, i + 1)) {
      let k = MIN_ECHO_PREFIX;
      while (k < f.length && i + k < text.length && text[i + k] === f[k]) k++;
      const end = i + k;
      const echoed = end === text.length || ELLIPSES.some((e) => text.startsWith(e, end));
      if (k >= LONG_PREFIX || echoed) ranges.push([i, end]);
    }
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [s, e] of ranges) {
    if (e <= at) continue;
    out += text.slice(at, Math.max(s, at)) + (s >= at ? hidden : '');
    at = e;
  }
  return out + text.slice(at);
}
