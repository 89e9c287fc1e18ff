// HTTPS for the task API: a real `ferry serve --tls-cert --tls-key` with a certificate from a throwaway CA made here
// with openssl; `ferry tasks list` and `ferry tokens create` work with `--ca` (that CA), and fail without it, with
// another CA, and over http://, each with a one-line error naming the reason and the option that fixes it. The
// bootstrap token still works as the admin "bootstrap", and the TLS answers are recorded in the audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startFerry, sleep } from '../../../test/helpers/ferry-process.ts';

const TOKEN = 'https-bootstrap-token-0123456789';
const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA, and (with `server`) a certificate it signs for 127.0.0.1 and localhost. */
function makeCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', `${name}.key`, '-out', `${name}.pem`);
}
function makeServerCert(dir: string, ca: string): void {
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\nbasicConstraints = CA:FALSE\n');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=ferry-serve', '-keyout', 'server.key', '-out', 'server.csr');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
}

function ferry(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, FERRY_API_TOKEN: TOKEN, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ferry serve over HTTPS: the CLI verifies it with --ca, and refuses it without the CA or with another one; start without a bootstrap token once an admin token exists', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-api-https-'));
  makeCa(dir, 'test-ca');
  makeCa(dir, 'other-ca');
  makeServerCert(dir, 'test-ca');
  const state = join(dir, 'state');
  const p = startFerry(['serve', '--port', '0', '--state-dir', state, '--tls-cert', join(dir, 'server.pem'), '--tls-key', join(dir, 'server.key'), '--json'],
    { ...process.env, FERRY_API_TOKEN: TOKEN, FERRY_LOG_LEVEL: 'warn' });
  try {
    let url = '';
    for (let i = 0; i < 300 && url === '' && p.child.exitCode === null; i++) {
      url = /"url": "([^"]+)"/.exec(p.stdout())?.[1] ?? '';
      if (url === '') await sleep(100);
    }
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/, `ferry serve did not start: ${p.stderr()}`);
    const ca = ['--url', url, '--ca', join(dir, 'test-ca.pem')];

    // With the CA: works, as the bootstrap admin.
    let r = ferry(['tasks', 'list', ...ca, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { ok: true, tasks: [] });
    r = ferry(['tokens', 'create', '--name', 'ops', '--role', 'operator', ...ca]);
    assert.equal(r.code, 0, r.stderr);
    const ops = r.stdout.trim();
    assert.match(ops, /^ferry_[A-Za-z0-9_-]{43}$/);
    r = ferry(['tokens', 'list', ...ca, '--json']);
    assert.deepEqual((JSON.parse(r.stdout) as { tokens: { name: string; role: string; bootstrap: boolean }[] }).tokens.map((t) => [t.name, t.role, t.bootstrap]), [['bootstrap', 'admin', true], ['ops', 'operator', false]]);
    // The CA from FERRY_API_CA works the same; the operator token may not list tokens (403, exit 2).
    r = ferry(['tokens', 'list', '--url', url], { FERRY_API_CA: join(dir, 'test-ca.pem'), FERRY_API_TOKEN: ops });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'error (HTTP 403 forbidden): GET /tokens needs the admin role; the token "ops" has the operator role (an admin issues tokens with `ferry tokens create --role admin`)');

    // Without the CA (the system CAs do not know it), with another CA, and over plain HTTP: refused, saying why.
    r = ferry(['tasks', 'list', '--url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^error FERRY_TLS_UNTRUSTED_CERT: the task API at https:\/\/127\.0\.0\.1:\d+: the server certificate is signed by a CA that is not trusted \(unknown CA\) \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); pass --ca FILE with the CA \(PEM\) that signed the server's certificate$/);
    r = ferry(['tasks', 'list', '--url', url, '--ca', join(dir, 'other-ca.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FERRY_TLS_UNTRUSTED_CERT: .*unknown CA.*; the --ca file is not the CA that signed the server's certificate: pass that CA/);
    r = ferry(['tasks', 'list', '--url', url.replace('https:', 'http:')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nothing answers at http:\/\/127\.0\.0\.1:\d+ \(socket hang up\)|ECONNRESET/);
    r = ferry(['tasks', 'list', '--url', url.replace('127.0.0.1', 'localhost'), '--ca', join(dir, 'test-ca.pem'), '--json']);
    assert.equal(r.code, 0, r.stderr);

    // ferry top --api takes --ca too: with it, it reads the (empty) task list; without it, the TLS error.
    r = ferry(['top', '--api', url, '--ca', join(dir, 'test-ca.pem'), '--once']);
    assert.match(r.stderr, /the server at https:\/\/127\.0\.0\.1:\d+ has no tasks/);
    r = ferry(['top', '--api', url, '--once']);
    assert.match(r.stderr, /FERRY_TLS_UNTRUSTED_CERT: the task API at https:/);

    // The audit log, through the API over HTTPS and from the file: the token issued by "bootstrap", the 403 of "ops".
    r = ferry(['audit', ...ca, '--json', '--action', 'tokens.create,tokens.list']);
    assert.equal(r.code, 0, r.stderr);
    const entries = (JSON.parse(r.stdout) as { entries: { action: string; actor: { name: string }; result: { status: number } }[] }).entries;
    assert.deepEqual(entries.map((e) => [e.action, e.actor.name, e.result.status]), [['tokens.create', 'bootstrap', 201], ['tokens.list', 'bootstrap', 200], ['tokens.list', 'ops', 403]]);
    assert.ok(!readFileSync(join(state, 'audit.jsonl'), 'utf8').includes(ops));
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  const v = ferry(['audit', 'verify', '--state-dir', state]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /: \d+ entries, the chain is intact; head \d+:[0-9a-f]{64}\n$/);

  // Without FERRY_API_TOKEN the server refuses to start while no admin token was issued, and starts once one was
  // (then without a bootstrap token: the old one is refused, the issued admin token works).
  const env: NodeJS.ProcessEnv = { ...process.env, FERRY_LOG_LEVEL: 'warn' };
  delete env.FERRY_API_TOKEN;
  const refused = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'serve', '--port', '0', '--state-dir', join(dir, 'empty')], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /FERRY_SECRET_UNRESOLVED: the API token: .*FERRY_API_TOKEN/);
  const tls = ['--tls-cert', join(dir, 'server.pem'), '--tls-key', join(dir, 'server.key')];
  // An admin token, issued through a second server start with the bootstrap token.
  let q = startFerry(['serve', '--port', '0', '--state-dir', state, ...tls, '--json'], { ...env, FERRY_API_TOKEN: TOKEN });
  const urlOf = async (f: typeof q) => {
    for (let i = 0; i < 300 && f.child.exitCode === null; i++) {
      const u = /"url": "([^"]+)"/.exec(f.stdout())?.[1];
      if (u) return u;
      await sleep(100);
    }
    throw new Error(`ferry serve did not start: ${f.stderr()}`);
  };
  let url = await urlOf(q);
  const root = ferry(['tokens', 'create', '--name', 'root', '--role', 'admin', '--url', url, '--ca', join(dir, 'test-ca.pem')]).stdout.trim();
  q.child.kill('SIGTERM');
  await q.exited;
  q = startFerry(['serve', '--port', '0', '--state-dir', state, ...tls, '--json'], env);
  try {
    url = await urlOf(q);
    const ca = ['--url', url, '--ca', join(dir, 'test-ca.pem')];
    assert.equal(ferry(['tasks', 'list', ...ca]).code, 2);
    const r = ferry(['tokens', 'list', ...ca, '--json'], { FERRY_API_TOKEN: root });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { tokens: { name: string }[] }).tokens.map((t) => t.name), ['ops', 'root']);
  } finally {
    q.child.kill('SIGTERM');
    await q.exited;
  }
});
