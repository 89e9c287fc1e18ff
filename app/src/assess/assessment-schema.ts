/**
 * The JSON Schema (draft-07) of `ferry assess --json` (the AssessmentReport of finding.ts), printed in
 * docs/assessment.md; app/test/integration/assess.test.ts validates real output against it, and
 * app/test/unit/assess/report.test.ts checks that the docs carry this exact schema.
 */
import { CATEGORIES, SEVERITIES } from './finding.ts';

const scalar = { type: ['string', 'number', 'boolean', 'null'] };

export const ASSESSMENT_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ferry.dev/schemas/assessment-v1.json',
  title: 'ferry assess --json',
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'version', 'task', 'sourceEngine', 'migrationType', 'profile', 'assessedAt', 'summary', 'scope', 'estimate', 'findings'],
  properties: {
    ok: { type: 'boolean', description: 'true when no finding is an error' },
    version: { const: 1 },
    task: { type: 'string' },
    sourceEngine: { enum: ['mysql', 'mariadb', 'postgres'] },
    migrationType: { enum: ['full-load', 'cdc', 'full-load-and-cdc'] },
    profile: { enum: ['full', 'run'] },
    assessedAt: { type: 'string', format: 'date-time' },
    summary: {
      type: 'object', additionalProperties: false, required: ['errors', 'warnings', 'infos'],
      properties: { errors: { type: 'integer', minimum: 0 }, warnings: { type: 'integer', minimum: 0 }, infos: { type: 'integer', minimum: 0 } },
    },
    scope: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['area', 'checked'], properties: { area: { type: 'string' }, checked: { type: 'string' } } },
    },
    estimate: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object', additionalProperties: false, required: ['rowsPerSecond', 'rows', 'bytes', 'fullLoadSeconds', 'tables'],
          properties: {
            rowsPerSecond: { type: 'number', exclusiveMinimum: 0 },
            rows: { type: 'number', minimum: 0 },
            bytes: { type: 'number', minimum: 0 },
            fullLoadSeconds: { type: 'number', minimum: 0 },
            tables: {
              type: 'array',
              items: { type: 'object', additionalProperties: false, required: ['table', 'rows', 'bytes'], properties: { table: { type: 'string' }, rows: { type: 'number', minimum: 0 }, bytes: { type: 'number', minimum: 0 } } },
            },
          },
        },
      ],
    },
    findings: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['code', 'severity', 'category', 'objects', 'message'],
        properties: {
          code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
          severity: { enum: [...SEVERITIES] },
          category: { enum: [...CATEGORIES] },
          objects: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, minProperties: 1, properties: { table: { type: 'string' }, column: { type: 'string' }, target: { type: 'string' } } },
          },
          message: { type: 'string', minLength: 1 },
          fix: { type: 'string', minLength: 1 },
          details: { type: 'object', additionalProperties: scalar },
        },
        if: { properties: { severity: { enum: ['error', 'warning'] } } },
        then: { properties: { fix: { type: 'string', minLength: 1 } }, required: ['fix'] },
      },
    },
  },
} as const;
