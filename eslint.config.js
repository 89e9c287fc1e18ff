// Lint: the recommended JS and TypeScript rules, type-only imports, and the floors of the architecture
// (docs/architecture.md): eslint-plugin-boundaries fails the lint when a lower floor imports a higher one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

// One element per floor, and one per plugin folder so that a plugin may import its own folder but no other plugin.
const pluginFolders = (dir) => readdirSync(join(import.meta.dirname, dir), { withFileTypes: true })
  .filter((d) => d.isDirectory()).map((d) => d.name);
const sources = pluginFolders('connectors').map((n) => ({ type: `source:${n}`, pattern: `connectors/${n}/src` }));
const sinks = pluginFolders('sinks').map((n) => ({ type: `sink:${n}`, pattern: `sinks/${n}/src` }));
const FLOORS = { core: ['core'], schemas: ['core', 'schemas'], engine: ['core', 'schemas', 'engine'] };
const plugin = (type) => ['core', 'schemas', 'engine', type];
const allPlugins = [...sources, ...sinks].map((e) => e.type);

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.run/**', '.cache/**', '.ferry/**', 'tmp/**', 'infra/**/lib/**', 'bench/kafka-clients/node_modules/**', 'app/console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The floors, lowest first: core ← schemas ← engine (runtime/) ← plugins (connectors/*, sinks/*) ← app.
    // Only source files are classified; tests may reach across floors to set up what they prove.
    files: ['core/src/**/*.ts', 'schemas/src/**/*.ts', 'runtime/src/**/*.ts', 'connectors/*/src/**/*.ts', 'sinks/*/src/**/*.ts', 'app/src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': [
        { type: 'core', pattern: 'core/src' },
        { type: 'schemas', pattern: 'schemas/src' },
        { type: 'engine', pattern: 'runtime/src' },
        ...sources,
        ...sinks,
        { type: 'app', pattern: 'app/src' },
      ],
    },
    rules: {
      'boundaries/dependencies': ['error', {
        default: 'disallow',
        message: 'floor rule (docs/architecture.md): {{from.type}} may not import {{to.type}}',
        policies: [
          ...Object.entries(FLOORS).map(([from, to]) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } } } })),
          ...allPlugins.map((t) => ({ from: { element: { type: t } }, allow: { to: { element: { types: { anyOf: plugin(t) } } } } })),
          { from: { element: { type: 'app' } }, allow: { to: { element: { types: { anyOf: ['core', 'schemas', 'engine', 'app', ...allPlugins] } } } } },
          // Every floor may use npm packages and Node's built-ins.
          { allow: { to: { module: { origin: 'external' } } } },
          { allow: { to: { module: { origin: 'core' } } } },
        ],
      }],
    },
  },
  {
    // node:http through core/src/node-http.ts: an ES import of it loads undici (~15 MB resident) via its lazy exports.
    files: ['core/src/**/*.ts', 'schemas/src/**/*.ts', 'runtime/src/**/*.ts', 'connectors/*/src/**/*.ts', 'sinks/*/src/**/*.ts', 'app/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['node:http', 'http'].map((name) => ({
          name, allowTypeImports: true,
          message: 'use `http` from core/src/node-http.ts: importing node:http as an ES module loads undici (docs/performance.md, "Memory")',
        })),
      }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    // Tests build deliberately malformed inputs; `any` is the honest type there.
    files: ['**/test/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
