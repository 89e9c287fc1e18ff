/**
 * The drift guard's rules (issue #26): every command in the CLI, every sink type and every source engine in the plugin
 * registry must appear where a user looks for it. A pure function over the help texts and the docs, so a test can feed
 * it a registry with one type more than the docs know and see it complain (help-drift.test.ts).
 *
 * Rules:
 *  - each command and subcommand of `ferry --help` has a heading in docs/cli.md (`## \`ferry <command> …`; a
 *    subcommand as a word of a heading of its parent: `ferry offsets show … / ferry offsets reset …`,
 *    `ferry tasks list|create|…`);
 *  - each sink type is named (in backticks in the docs) by `ferry sink --help`, the `ferry sink` section of
 *    docs/cli.md, docs/sinks/worker.md, docs/configuration.md (generated: it proves `npm run docs:config` ran) and the
 *    README's target table, and the page its plugin declares (`docs`) exists and names it (`t` or `type: t`);
 *  - each source engine is named in docs/configuration.md and the README's task example, and its plugin's page exists;
 *  - a command that takes a task file (so runs with any source) and names a source database in its help
 *    (MySQL, MariaDB, PostgreSQL) names all of them: "MySQL/MariaDB only" where PostgreSQL works is drift.
 */

export interface CommandHelp {
  /** The command path: ['sink'], ['offsets', 'show']. */
  readonly path: readonly string[];
  /** Its `--help` output. */
  readonly help: string;
}

export interface DriftInput {
  readonly commands: readonly CommandHelp[];
  readonly sinkPlugins: readonly { readonly types: readonly string[]; readonly docs: string }[];
  readonly sourcePlugins: readonly { readonly engines: readonly string[]; readonly docs: string }[];
  /** Display names of the source databases, per engine: mysql → MySQL. */
  readonly engineNames: Readonly<Record<string, string>>;
  /** Repository files by path (docs/cli.md, docs/sinks/worker.md, docs/configuration.md, README.md, plugin pages); absent = missing. */
  readonly files: Readonly<Record<string, string | undefined>>;
}

/** The command names listed under "Commands:" in a commander help text (without `help`). */
export function listedCommands(help: string): string[] {
  const out: string[] = [];
  let inCommands = false;
  for (const line of help.split('\n')) {
    if (/^Commands:\s*$/.test(line)) { inCommands = true; continue; }
    if (!inCommands) continue;
    if (line.trim() === '' || /^\S/.test(line)) break;
    const m = /^ {2}([a-z][a-z-]*)\b/.exec(line);
    if (m && m[1] !== 'help') out.push(m[1]!);
  }
  return out;
}

const backticked = (text: string, word: string) => text.includes(`\`${word}\``);

/** The text of the `## \`ferry <name>` section of docs/cli.md, up to the next heading; '' when there is none. */
function cliSection(cli: string, name: string): string {
  const start = cli.search(new RegExp(`^## \`ferry ${name}[ \`]`, 'm'));
  if (start < 0) return '';
  const next = cli.slice(start + 3).search(/^## /m);
  return next < 0 ? cli.slice(start) : cli.slice(start, start + 3 + next);
}

export function driftProblems(input: DriftInput): string[] {
  const problems: string[] = [];
  const file = (path: string) => input.files[path];
  const cli = file('docs/cli.md') ?? '';
  const headings = cli.split('\n').filter((l) => l.startsWith('## '));

  for (const c of input.commands) {
    const [parent, sub] = c.path;
    if (sub === undefined) {
      if (!headings.some((h) => h.startsWith(`## \`ferry ${parent} `) || h.startsWith(`## \`ferry ${parent}\``))) {
        problems.push(`command "ferry ${parent}" has no section in docs/cli.md`);
      }
    } else if (!headings.some((h) => h.includes(`ferry ${parent} `) && h.split(/[\s|`/]+/).includes(sub))) {
      problems.push(`command "ferry ${parent} ${sub}" is not named in a docs/cli.md heading of "ferry ${parent}"`);
    }
  }

  const sinkHelp = input.commands.find((c) => c.path.length === 1 && c.path[0] === 'sink')?.help;
  if (sinkHelp === undefined) problems.push('no `ferry sink --help` was given');
  const sinkSection = cliSection(cli, 'sink');
  for (const p of input.sinkPlugins) {
    const page = file(p.docs);
    if (page === undefined) problems.push(`the docs page ${p.docs} of sink type(s) ${p.types.join(', ')} does not exist`);
    for (const t of p.types) {
      if (sinkHelp !== undefined && !new RegExp(`\\b${t}\\b`).test(sinkHelp)) problems.push(`sink type "${t}" is missing from \`ferry sink --help\``);
      if (!backticked(sinkSection, t)) problems.push(`sink type "${t}" is missing from the \`ferry sink\` section of docs/cli.md`);
      for (const doc of ['docs/sinks/worker.md', 'docs/configuration.md', 'README.md']) {
        if (!backticked(file(doc) ?? '', t)) problems.push(`sink type "${t}" is missing from ${doc}`);
      }
      if (page !== undefined && !backticked(page, t) && !new RegExp(`\\btype: ${t}\\b`).test(page)) problems.push(`sink type "${t}" is not named in its page ${p.docs}`);
    }
  }

  for (const p of input.sourcePlugins) {
    if (file(p.docs) === undefined) problems.push(`the docs page ${p.docs} of source engine(s) ${p.engines.join(', ')} does not exist`);
    for (const e of p.engines) {
      if (!backticked(file('docs/configuration.md') ?? '', e) && !new RegExp(`\\b${e}\\b`).test(file('docs/configuration.md') ?? '')) problems.push(`source engine "${e}" is missing from docs/configuration.md`);
      if (!new RegExp(`engine: .*\\b${e}\\b`).test(file('README.md') ?? '')) problems.push(`source engine "${e}" is missing from the README's task example (engine: …)`);
    }
  }

  const names = Object.values(input.engineNames);
  for (const c of input.commands) {
    if (!/<task-file>/.test(c.help.split('\n')[0] ?? '')) continue;
    const description = c.help.split('\n\nOptions:')[0] ?? c.help;
    const named = names.filter((n) => new RegExp(`\\b${n}\\b`).test(description));
    if (named.length > 0 && named.length < names.length) {
      problems.push(`\`ferry ${c.path.join(' ')} --help\` names ${named.join(', ')} but not ${names.filter((n) => !named.includes(n)).join(', ')}, though it runs with any source`);
    }
  }
  return problems;
}
