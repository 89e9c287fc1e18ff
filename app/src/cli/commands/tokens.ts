/**
 * `ferry tokens create|list|revoke`: the API tokens of a `ferry serve`, through its REST API (admin role;
 * docs/api.md "Roles and tokens"). The server is the only writer of its token table, so a revocation takes effect at
 * the next request. `create` prints the token once: it is stored only as a SHA-256 hash.
 */
import { ApiResponseError, paths } from '../../tasks-api/api-client.ts';
import type { TokenView } from '../../tasks-api/api-tokens.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { out, outJson } from '../output.ts';
import { apiClientOf, reportApiError, reportCliError, type ApiConnectionOptions } from './api-connection.ts';

export interface TokensOptions extends ApiConnectionOptions {
  readonly json?: boolean;
  readonly name?: string;
  readonly role?: string;
}

export type TokensAction = 'create' | 'list' | 'revoke';

const row = (t: TokenView) => `${t.name.padEnd(24)} ${t.role.padEnd(9)} ${t.createdAt.padEnd(25)} ${(t.lastUsedAt ?? '-').padEnd(25)} ${t.revokedAt ? `revoked ${t.revokedAt}` : t.bootstrap ? 'bootstrap (--token of ferry serve)' : 'live'}`;

export async function tokensCommand(action: TokensAction, args: readonly string[], options: TokensOptions): Promise<ExitCode> {
  const json = options.json === true;
  try {
    const api = apiClientOf(options);
    switch (action) {
      case 'create': {
        const r = await api.request<TokenView & { token: string }>('POST', paths.tokens(), { name: options.name, role: options.role });
        if (json) {
          // Written without the redactor: the token is the answer, and this is the only time it is shown.
          process.stdout.write(`${JSON.stringify({ ok: true, ...r }, null, 2)}\n`);
        } else {
          process.stdout.write(`${r.token}\n`);
          process.stderr.write(`token "${r.name}" (${r.role}) created: it is shown once, above; the server keeps only its hash\n`);
        }
        return EXIT.OK;
      }
      case 'list': {
        const r = await api.request<{ tokens: TokenView[] }>('GET', paths.tokens());
        if (json) outJson({ ok: true, tokens: r.tokens });
        else {
          out(`${'name'.padEnd(24)} ${'role'.padEnd(9)} ${'created'.padEnd(25)} ${'last used'.padEnd(25)} state`);
          for (const t of r.tokens) out(row(t));
        }
        return EXIT.OK;
      }
      case 'revoke': {
        const r = await api.request<TokenView>('DELETE', paths.token(args[0] ?? ''));
        if (json) outJson({ ok: true, token: r });
        else out(`token "${r.name}" revoked at ${r.revokedAt}: it is refused from now on`);
        return EXIT.OK;
      }
    }
  } catch (e: unknown) {
    if (e instanceof ApiResponseError) return reportApiError(e, json);
    return reportCliError(e, json);
  }
}
