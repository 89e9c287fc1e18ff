// The dependency audit's verdict (scripts/audit-deps.ts) from npm audit's JSON report (auditReportVersion 2): high
// and critical advisories fail with the package, the advisory and the fix; lower ones pass; an answer without a
// report (the registry refused the advisory endpoint) is "not done", never "clean".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAudit } from '../../scripts/audit-deps.ts';

const report = (vulnerabilities: Record<string, unknown>, counts: Record<string, number>) => JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: counts, dependencies: { prod: 120 } } });

test('npm audit report: high and critical advisories are findings with their advisory and fix', () => {
  const v = judgeAudit(report({
    'left-pad': { name: 'left-pad', severity: 'critical', via: [{ name: 'left-pad', title: 'Prototype pollution', url: 'https://github.com/advisories/GHSA-xxxx', severity: 'critical' }], fixAvailable: { name: 'left-pad', version: '2.0.0', isSemVerMajor: true } },
    wrapper: { name: 'wrapper', severity: 'high', via: ['left-pad'], fixAvailable: true },
    chatty: { name: 'chatty', severity: 'moderate', via: [{ title: 'ReDoS', severity: 'moderate' }], fixAvailable: false },
  }, { info: 0, low: 0, moderate: 1, high: 1, critical: 1, total: 3 }));
  assert.equal(v.kind, 'vulnerable');
  assert.deepEqual(v.kind === 'vulnerable' && v.findings, [
    { name: 'left-pad', severity: 'critical', advisories: ['critical: Prototype pollution https://github.com/advisories/GHSA-xxxx'], fix: 'npm install left-pad@2.0.0 (a major version: check its changes)' },
    { name: 'wrapper', severity: 'high', advisories: ['through left-pad'], fix: 'npm audit fix' },
  ]);
});

test('npm audit report: only moderate and lower advisories pass', () => {
  const v = judgeAudit(report({ chatty: { name: 'chatty', severity: 'moderate', via: [], fixAvailable: false } }, { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 }));
  assert.deepEqual(v, { kind: 'clean', counts: { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 } });
});

test('npm audit: a refused advisory endpoint, an npm error or no output is "not done", with the reason', () => {
  const refused = JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } });
  assert.deepEqual(judgeAudit(refused), { kind: 'unavailable', reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk' });
  assert.deepEqual(judgeAudit(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed' } })), { kind: 'unavailable', reason: 'ENOTFOUND request to https://registry.npmjs.org failed' });
  assert.equal(judgeAudit('').kind, 'unavailable');
});
