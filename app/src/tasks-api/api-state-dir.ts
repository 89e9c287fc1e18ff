/**
 * Where a task created through the API may keep its local state (settings.stateDir): inside one of the server's
 * state roots (the server's `--state-dir` and `<working dir>/.ferry`, which holds the default `.ferry/<name>`), never
 * the root itself, after `..` and symbolic links are resolved. A relative path is relative to the server's working
 * directory, as for a task file. So an API client cannot make the server write SQLite files anywhere else.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

/** The real path of `p`: symbolic links of its deepest existing ancestor resolved, the rest appended. */
function realPathOf(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(existing), ...rest);
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return p;
      rest.unshift(existing.slice(parent.length).replace(/^[/\\]/, ''));
      existing = parent;
    }
  }
}

const strictlyInside = (p: string, root: string): boolean => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

export interface StateDirCheck {
  /** The absolute state folder to use, or null when refused. */
  readonly dir: string | null;
  readonly problem?: string;
}

/** Checks a task's stateDir (as resolved by the loader) against the server's state roots. */
export function confineStateDir(stateDir: string, o: { readonly dataDir: string; readonly roots: readonly string[] }): StateDirCheck {
  const dir = resolve(o.dataDir, stateDir);
  const real = realPathOf(dir);
  const roots = o.roots.map((r) => realPathOf(resolve(o.dataDir, r)));
  if (roots.some((r) => strictlyInside(real, r))) return { dir };
  return { dir: null, problem: `must be a folder inside the server's state folders (${o.roots.map((r) => resolve(o.dataDir, r)).join(' or ')}), after ".." and symbolic links are resolved; leave it out to use the default` };
}

/**
 * A task's settings.stateEncryption.keyFile, as the API allows it: only inside the server's `--secrets-dir` (after
 * `..` and symbolic links are resolved), like a `${file:}` reference, so an API client cannot make the server read
 * (and report on) any file it can reach. Relative paths are relative to that folder. Null `secretsDir`: refused.
 */
export function confineKeyFile(keyFile: string, secretsDir: string | null): { file: string | null; problem?: string } {
  if (secretsDir === null) return { file: null, problem: 'a key file is refused: this server reads no files for tasks (start ferry serve with --secrets-dir and put the key there), or use stateEncryption.kms' };
  const file = resolve(secretsDir, keyFile);
  if (strictlyInside(realPathOf(file), realPathOf(resolve(secretsDir)))) return { file };
  return { file: null, problem: `must be a file inside the server's secrets folder (${resolve(secretsDir)}), after ".." and symbolic links are resolved` };
}
