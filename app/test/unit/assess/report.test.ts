// The assessment's reports without a database: the terminal report's grouping, lines and summary; the HTML page's
// escaping (every value from a finding, the task or the scope) and that it is self-contained; the JSON Schema printed
// in docs/assessment.md is the one the code exports; and every finding code the code can emit is documented there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ASSESSMENT_JSON_SCHEMA } from '../../../src/assess/assessment-schema.ts';
import { bySeverity, summarize, type AssessmentReport, type Finding } from '../../../src/assess/finding.ts';
import { htmlReport } from '../../../src/assess/report-html.ts';
import { findingLines, summaryLine, textReport } from '../../../src/assess/report-text.ts';
import { codeOf } from '../../../src/assess/check-findings.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

const EVIL = `<script>alert("x")</script> & 'quote' <img src=x onerror=y>`;

function report(findings: Finding[], over: Partial<AssessmentReport> = {}): AssessmentReport {
  const sorted = bySeverity(findings);
  return {
    version: 1, task: 'shop', sourceEngine: 'mariadb', migrationType: 'full-load-and-cdc', profile: 'full', assessedAt: '2026-12-06T15:00:00.000Z',
    summary: summarize(sorted), scope: [{ area: 'source', checked: 'everything' }], estimate: null, findings: sorted, ...over,
  };
}

const info: Finding = { code: 'LOB_COLUMN', severity: 'info', category: 'lob', objects: [{ table: 'shop.docs', column: 'body' }], message: 'shop.docs.body: largest value 1.0 KiB' };
const warnNoKey: Finding = { code: 'NO_PRIMARY_KEY', severity: 'warning', category: 'tables', objects: [{ table: 'shop.log' }], message: 'shop.log has no primary key', fix: 'add one' };
const error: Finding = { code: 'MYSQL_BINLOG_FORMAT', severity: 'error', category: 'source', objects: [], message: 'binlog_format is STATEMENT', fix: "SET GLOBAL binlog_format='ROW'" };
const targetWarn: Finding = { code: 'TARGET_COLUMN_MISSING', severity: 'warning', category: 'target', objects: [{ table: 'shop.docs', target: 'pg', column: 'n' }], message: 'no column n', fix: 'ADD COLUMN n' };

test('the terminal report groups by severity (errors, warnings, info), each finding with its objects and fix, and ends with the summary', () => {
  const text = textReport(report([info, warnNoKey, error, targetWarn]));
  assert.equal(text, [
    'assess: task shop (mariadb source, full-load-and-cdc)',
    '',
    'Errors (1)',
    "  ERROR MYSQL_BINLOG_FORMAT: binlog_format is STATEMENT",
    "          fix: SET GLOBAL binlog_format='ROW'",
    '',
    'Warnings (2)',
    '  WARN  NO_PRIMARY_KEY: shop.log has no primary key',
    '          on: shop.log',
    '          fix: add one',
    '  WARN  TARGET_COLUMN_MISSING: no column n',
    '          on: target pg: shop.docs.n',
    '          fix: ADD COLUMN n',
    '',
    'Info (1)',
    '  info  LOB_COLUMN: shop.docs.body: largest value 1.0 KiB',
    '          on: shop.docs.body',
    '',
    'Checked:',
    '  source: everything',
    '',
    'assess: 1 error, 2 warnings, 1 info — ferry run refuses to start until the errors are fixed (or is given --skip-assessment)',
    '',
  ].join('\n'));
});

test('a clean report has no refusal note; the estimate line appears when there is one', () => {
  const r = report([info], { estimate: { rowsPerSecond: 50000, rows: 1_000_000, bytes: 104857600, fullLoadSeconds: 20, tables: [{ table: 'shop.docs', rows: 1_000_000, bytes: 104857600 }] } });
  const text = textReport(r);
  assert.match(text, /\nEstimate: 1000000 rows, 100\.0 MiB in 1 tables; full load about 20 s at 50000 rows\/s\n/);
  assert.match(text, /\nassess: 0 errors, 0 warnings, 1 info\n$/);
  assert.equal(summaryLine(report([])), '0 errors, 0 warnings, 0 infos');
  assert.deepEqual(findingLines({ ...error, objects: [{ target: 'kafka' }] }), ["ERROR MYSQL_BINLOG_FORMAT: binlog_format is STATEMENT", '        on: target kafka', "        fix: SET GLOBAL binlog_format='ROW'"]);
});

test('bySeverity keeps the check order within a severity', () => {
  const a = { ...warnNoKey, code: 'A' };
  const b = { ...warnNoKey, code: 'B' };
  assert.deepEqual(bySeverity([info, a, error, b]).map((f) => f.code), ['MYSQL_BINLOG_FORMAT', 'A', 'B', 'LOB_COLUMN']);
});

test('the HTML page escapes every value and loads nothing from outside', () => {
  const hostile: Finding = { code: 'TARGET_COLUMN_MISSING', severity: 'error', category: 'target', objects: [{ table: `s.${EVIL}`, column: EVIL, target: EVIL }], message: EVIL, fix: EVIL };
  const page = htmlReport(report([hostile], { task: EVIL, scope: [{ area: EVIL, checked: EVIL }] }));
  assert.doesNotMatch(page, /<script|<img|onerror=y>/i);
  // no tag loads anything (the only tags are the page's own: every '<' of a value is escaped)
  assert.doesNotMatch(page, /<[a-z][^>]*\s(?:src|href)=|url\(|@import/i);
  const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quote&#39; &lt;img src=x onerror=y&gt;';
  // title, heading, objects, message, fix, scope area and text
  assert.ok(page.split(escaped).length - 1 >= 8, page);
  assert.match(page, /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Premigration assessment: &lt;script&gt;/);
  assert.match(page, /<p class="summary">1 error, 0 warnings, 0 infos — ferry run refuses to start/);
  assert.match(htmlReport(report([])), /<p>No findings\.<\/p>/);
});

test('docs/assessment.md prints the JSON Schema the code exports, and a report validates against it', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'assessment.md'), 'utf8');
  const m = /<!-- schema:begin -->\n```json\n([\s\S]*?)\n```\n<!-- schema:end -->/.exec(doc);
  assert.ok(m, 'docs/assessment.md has the schema between its markers');
  assert.deepEqual(JSON.parse(m[1]!), JSON.parse(JSON.stringify(ASSESSMENT_JSON_SCHEMA)));
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const validate = ajv.compile(ASSESSMENT_JSON_SCHEMA);
  assert.equal(validate({ ok: false, ...report([info, warnNoKey, error, targetWarn]) }), true, JSON.stringify(validate.errors));
  // a warning without its fix is refused
  assert.equal(validate({ ok: true, ...report([{ ...warnNoKey, fix: undefined }].map(({ fix: _f, ...f }) => f as Finding)) }), false);
});

test('every finding code the code can emit is documented in docs/assessment.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'assessment.md'), 'utf8');
  const dir = join(ROOT, 'app', 'src', 'assess');
  const codes = new Set<string>();
  for (const f of readdirSync(dir)) for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/code: '([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!);
  // the validate checks of both sources, as codeOf names them
  for (const check of ['source.connect', 'source.engine', 'mysql.log_bin', 'mysql.binlog_format', 'mysql.binlog_row_image', 'mysql.server_id', 'mysql.binlog_retention',
    'mysql.gtid', 'mysql.log_bin_compress', 'mysql.binlog_transaction_compression', 'mysql.binlog_row_value_options', 'mysql.privileges', 'postgres.wal_level',
    'postgres.max_replication_slots', 'postgres.max_wal_senders', 'postgres.max_slot_wal_keep_size', 'postgres.replication_privilege', 'postgres.table.s.t',
    'postgres.tables', 'postgres.publication', 'tables.selected', 'tables.destinations', 'kafka.connect', 'registry.connect', 'target.pg']) codes.add(codeOf(check));
  const missing = [...codes].filter((c) => !doc.includes(`| \`${c}\``));
  assert.deepEqual(missing, []);
  assert.ok(codes.size > 40, String(codes.size));
});
