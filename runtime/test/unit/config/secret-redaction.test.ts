// The redactor masks every form a registered secret takes in output: raw, JSON-escaped (once and twice, and with
// \uXXXX), URL-encoded (encodeURIComponent, encodeURI, form `+`, URL userinfo), util.inspect, truncated echoes
// ("…" / "..." after at least 12 characters, the end of the text, any 24-character prefix), and values redacted
// before they are serialised.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { clearSecretValuesForTests, redact, redactValue, registerSecretValue, Secret } from '../../../src/config/secrets.ts';
import { createLogger } from '../../../src/log/logger.ts';

const NASTY = 'p"a\\ss\nwörd ✓ with spaces & more/than=sixty?characters#in-it-0123456789-abcdefghijklmnop';

beforeEach(() => clearSecretValuesForTests());

test('every exact form of a secret with quotes, backslashes, newlines, unicode and over 60 characters is masked', () => {
  registerSecretValue(NASTY);
  const once = JSON.stringify(NASTY);
  const u = new URL('http://h/');
  u.password = NASTY;
  const forms = [
    NASTY, once, JSON.stringify(once), JSON.stringify(NASTY).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encodeURIComponent(NASTY), encodeURI(NASTY), encodeURIComponent(NASTY).replace(/%20/g, '+'), new URLSearchParams({ v: NASTY }).toString(),
    u.href, inspect(NASTY), encodeURIComponent(NASTY).replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()),
  ];
  for (const f of forms) {
    const out = redact(`before ${f} after`);
    assert.ok(!out.includes('wörd') && !out.includes('w%C3%B6rd') && !out.includes('w%c3%b6rd') && !out.includes('w\\u00f6rd') && !out.includes('sixty'), `${f} → ${out}`);
  }
  assert.equal(redact(`x ${once} y`), 'x "***" y');
  assert.equal(redact(`{"msg":${JSON.stringify(`{"password":${once}}`)}}`), '{"msg":"{\\"password\\":\\"***\\"}"}');
  assert.equal(redact(`http://user:${u.password}@host:8081/apis`), 'http://user:***@host:8081/apis');
});

test('a truncated echo is masked: 57 characters plus "...", a 12-character prefix plus "…", a cut at the end, a 24-character prefix anywhere', () => {
  registerSecretValue(NASTY);
  assert.equal(redact(`found "${NASTY.slice(0, 57)}..."`), 'found "***..."');
  assert.equal(redact(`found ${JSON.stringify(NASTY).slice(1, 58)}...`), 'found ***...');
  assert.equal(redact(`value ${NASTY.slice(0, 12)}… (hidden)`), 'value ***… (hidden)');
  assert.equal(redact(`tail ${NASTY.slice(0, 30)}`), 'tail ***');
  assert.equal(redact(`in ${NASTY.slice(0, 24)} the middle`), 'in *** the middle');
  // a short prefix not followed by an ellipsis is ordinary text
  assert.equal(redact(`${NASTY.slice(0, 11)}... and ${NASTY.slice(0, 14)} more`), `${NASTY.slice(0, 11)}... and ${NASTY.slice(0, 14)} more`);
});

test('short values are not substring-masked; unrelated text is untouched', () => {
  registerSecretValue('cdc');
  registerSecretValue('s3cr3t-value');
  assert.equal(redact('user cdc logged in with s3cr3t-value'), 'user cdc logged in with ***');
});

test('redactValue masks strings (and keys) before serialisation; Secret shows as ***', () => {
  registerSecretValue(NASTY);
  const v = redactValue({ a: [`x${NASTY}y`], [NASTY]: 1, s: new Secret('another-secret-1'), n: 5, d: null });
  assert.deepEqual(v, { a: ['x***y'], '***': 1, s: '***', n: 5, d: null });
});

test('a JSON log line shows no form of a secret in the message, the object or an error', () => {
  registerSecretValue(NASTY);
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });
  log.error({ err: new Error(`login failed for "${NASTY}"`), url: `http://u:${encodeURIComponent(NASTY)}@h`, echoed: `${NASTY.slice(0, 57)}...` }, `cannot connect: ${NASTY}`);
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]!) as { msg: string; url: string; echoed: string; err: { message: string } };
  assert.equal(j.msg, 'cannot connect: ***');
  assert.equal(j.url, 'http://u:***@h');
  assert.equal(j.echoed, '***...');
  assert.equal(j.err.message, 'login failed for "***"');
  for (const piece of ['wörd', 'sixty', 'w\\u00f6rd', 'w%C3%B6rd']) assert.ok(!lines[0]!.includes(piece), piece);
});
