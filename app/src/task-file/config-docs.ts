/**
 * Renders the configuration reference (docs/configuration.md) from the task declaration in task-schema.ts and the
 * plugins' own declarations (app/src/plugins.ts), and the error reference (docs/errors.md) from ERROR_CODES, so the
 * docs can never drift from the code.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../../core/src/errors.ts';
import { taskSchema } from './task-schema.ts';
import { SINK_PLUGINS, SOURCE_PLUGINS } from '../plugins.ts';
import { describeExpected } from '../../../runtime/src/config/config-problems.ts';
import { TASK_INPUT_LIMITS } from './input-limits.ts';
import { CDC_WINDOW_DOC } from '../../../runtime/src/config/cdc-window-settings.ts';

type Js = {
  type?: string; properties?: Record<string, Js>; required?: string[]; items?: Js; description?: string; default?: unknown;
  enum?: unknown[]; oneOf?: Js[]; anyOf?: Js[]; const?: unknown; secret?: boolean; examples?: unknown[]; $ref?: string; minimum?: number; maximum?: number; minLength?: number; pattern?: string;
};

/** The option rows of one declaration, each path under `prefix`. */
function optionRows(schema: z.ZodType, prefix: string): string[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Js & { $defs?: Record<string, Js> };
  const rows: string[] = [];
  const walk = (s: Js, path: string, required: boolean, when = '') => {
    const d = s.$ref ? root.$defs?.[s.$ref.replace('#/$defs/', '')] ?? s : s;
    if (path === 'tableMappings') {
      rows.push(row(path, d, required, 'the DMS table-mapping document; see docs/table-mapping.md'));
      return;
    }
    if (path !== prefix && (d.type !== 'object' || path === 'targets[]')) rows.push(row(path, d, required, undefined, when));
    if (d.type === 'object' && d.properties) {
      if (path !== '' && path !== 'targets[]') rows.push(row(path, d, required, 'section', when));
      for (const [k, v] of Object.entries(d.properties)) walk(v, path ? `${path}.${k}` : k, (d.required ?? []).includes(k) && v.default === undefined, when);
    }
    // A discriminated union of sections (e.g. an Iceberg catalog of type sql or rest): each variant's fields, marked
    // with the discriminator value that selects them.
    for (const variant of d.oneOf ?? d.anyOf ?? []) {
      const v = variant.$ref ? root.$defs?.[variant.$ref.replace('#/$defs/', '')] ?? variant : variant;
      const tag = Object.entries(v.properties ?? {}).find(([, p]) => p.const !== undefined);
      if (v.type !== 'object' || !tag) continue;
      const label = `${when ? `${when}, ` : ''}${path.slice(prefix.length).replace(/^\./, '')}.${tag[0]}: ${String(tag[1].const)}`;
      for (const [k, f] of Object.entries(v.properties ?? {})) if (k !== tag[0]) walk(f, `${path}.${k}`, (v.required ?? []).includes(k) && f.default === undefined, label);
    }
    if (d.type === 'array' && d.items?.type === 'object') walk(d.items, `${path}[]`, false);
  };
  walk(root, prefix, true);
  return rows;
}

export function renderConfigReference(): string {
  const rows = optionRows(taskSchema, '');
  const link = (docs: string) => `[${docs}](${docs.replace(/^docs\//, '')})`;
  const sources = SOURCE_PLUGINS.map((p) => `| ${p.engines.map((e) => `\`${e}\``).join(', ')} | ${p.summary} | ${p.defaultPort} | ${p.prerequisites.join('; ')} | ${link(p.docs)} |`);
  // A plugin's types share one declaration (the lake's parquet and csv differ only in the format the type sets).
  const targets = SINK_PLUGINS.flatMap((p) => [
    '',
    `### ${p.types.map((t) => `\`${t}\``).join(', ')}`,
    '',
    `${p.summary}. See ${link(p.docs)}. Needs: ${p.prerequisites.join('; ')}.`,
    '',
    '| field | type | required | default | description |',
    '|---|---|---|---|---|',
    ...optionRows(p.options(p.types[0]!), 'targets[]'),
  ]);
  return [
    '# Task file reference',
    '',
    '<!-- Generated from app/src/task-file/task-schema.ts and the plugin descriptors (app/src/plugins.ts) by `npm run docs:config`. Do not edit by hand. -->',
    '',
    'A Ferry task is one YAML or JSON file. Every option below is declared once: the engine\'s in `runtime/src/config/`,',
    'each source\'s and sink\'s in its own folder (`src/descriptor.ts`), joined in `app/src/task-file/task-schema.ts`;',
    'validation and this page both come from those declarations. Unknown fields are errors (with a "did you mean" hint),',
    'and every problem in a file is reported at once with its exact path.',
    '',
    '**Secrets.** Any string may contain `${env:NAME}` (an environment variable) or `${file:path}` (a file\'s contents,',
    'without the trailing newline; relative to the task file). Fields marked *secret* are never printed: logs and errors',
    'show `***` instead, and every resolved secret value of 6 or more characters is masked in all output.',
    'A problem found in a value that came from a reference names the reference ("found the value of ${env:DB_PASSWORD}"),',
    'never the value, and a problem never quotes the value of a secret field. `$${` stands for a literal `${`, for a',
    'name that holds that text (a schema `a${x}` is written `a$${x}`).',
    '',
    '**Secrets from AWS Secrets Manager.** `${aws-sm:name-or-arn}` is a secret\'s SecretString (a SecretBinary is read as UTF-8',
    'text), and `${aws-sm:name-or-arn#key}` the top-level member `key` of a JSON secret (a number or boolean as its JSON text),',
    'so one DMS-style secret (`{"username": …, "password": …}`) can supply `user` and `password`. Each secret is fetched once',
    '(GetSecretValue) when the task is read, however many references name it, through the standard AWS chain: `AWS_REGION`',
    '(else the region of an ARN), `AWS_ENDPOINT_URL_SECRETS_MANAGER` or `AWS_ENDPOINT_URL`, and the SDK\'s credentials',
    '(environment, profile, SSO, role). Those credentials need `secretsmanager:GetSecretValue` on the secret, and `kms:Decrypt`',
    'on its KMS key when it has a customer-managed one. A missing secret, a refusal, an unreachable endpoint, a secret that is',
    'not JSON or lacks the key are each reported with the reference and the fix. When a MySQL/MariaDB or PostgreSQL source,',
    'or a postgres or mysql target, refuses a password that came from such a reference, the secret is fetched again once and',
    'the connection retried with the new value, so a rotated password works without a restart (docs/security.md#secrets).',
    'Tasks sent to `ferry serve` may use these references only for names or ARNs that start with `--secrets-aws-sm-prefix`',
    '(none by default).',
    '',
    '**Limits.** A task file is read up to ' + `${TASK_INPUT_LIMITS.maxBytes / (1024 * 1024)} MiB` + ' (a larger file, or a device or pipe',
    'that goes on, fails as `FERRY_CONFIG_TOO_LARGE` without reading further); mappings and lists may nest ' + `${TASK_INPUT_LIMITS.maxDepth}`,
    'levels deep, the top-level mapping being level 1 (`FERRY_CONFIG_TOO_DEEP`, for task files and for tasks sent to the',
    'API alike); YAML aliases may expand ' + `${TASK_INPUT_LIMITS.maxAliasCount}` + ' times (`FERRY_CONFIG_ALIASES`). A report lists the first ' + `${TASK_INPUT_LIMITS.maxProblems}`,
    'problems (or YAML syntax errors), then how many more there are. The size, depth and alias limits each end in one line with its code (the CLI exits 2).',
    '',
    '| field | type | required | default | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...CDC_WINDOW_DOC, // runtime/src/config/cdc-window-settings.ts
    '## Sources',
    '',
    'Each `source.engine` is served by a source plugin (`connectors/<name>/src/descriptor.ts`).',
    '',
    '| engine | what it does | default port | needs on the database | docs |',
    '|---|---|---|---|---|',
    ...sources,
    '',
    '## Target options',
    '',
    'Each `targets[].type` is served by a sink plugin (`sinks/<name>/src/descriptor.ts`); a target\'s own keys sit next to',
    '`type` and `name` and are checked against the plugin\'s declaration by `ferry validate` and when the task starts.',
    ...targets,
    '',
  ].join('\n');
}

function row(path: string, s: Js, required: boolean, override?: string, when?: string): string {
  const type = override === 'section' ? 'section' : override ? 'mapping' : describeExpected(s as never) + (s.secret ? ' (secret)' : '');
  const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
  const desc = [when ? `*(${when})*` : '', override && override !== 'section' ? override : s.description ?? '', s.examples ? `Example: \`${String(s.examples[0])}\`.` : ''].filter(Boolean).join(' ');
  return `| \`${path}\` | ${type.replace(/\|/g, '\\|')} | ${required ? 'yes' : ''} | ${def} | ${desc.replace(/\|/g, '\\|')} |`;
}

export function renderErrorReference(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from core/src/errors.ts by `npm run docs:config`. Do not edit by hand. -->',
    '',
    'Every error Ferry raises on purpose carries one of these codes (in logs as `code`, in `--json` output as `error.code`)',
    'and a disposition: **retry** (the runtime retries with backoff), **fatal** (the task stops; fix and restart),',
    '**resnapshot** (the stored position can no longer be resumed from; the table or task must be loaded again).',
    '',
    '| code | disposition | meaning |',
    '|---|---|---|',
  ];
  for (const [code, info] of Object.entries(ERROR_CODES)) lines.push(`| \`${code}\` | ${info.disposition} | ${info.meaning} |`);
  return `${lines.join('\n')}\n`;
}
