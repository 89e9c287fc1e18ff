/** Errors the task API answers with: an HTTP status, a stable code and a message (docs/api.md "Errors"). */
import type { ConfigProblem } from '../../../runtime/src/config/config-problems.ts';

export type ApiErrorCode = 'unauthorized' | 'forbidden' | 'audit_unavailable' | 'bad_request' | 'invalid_task' | 'not_found' | 'conflict' | 'method_not_allowed' | 'payload_too_large' | 'internal';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly problems: readonly ConfigProblem[] | undefined;

  constructor(status: number, code: ApiErrorCode, message: string, problems?: readonly ConfigProblem[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; problems?: readonly ConfigProblem[] } } {
    return { error: { code: this.code, message: this.message, ...(this.problems ? { problems: this.problems } : {}) } };
  }
}

export const notFound = (name: string) => new ApiError(404, 'not_found', `no task named "${name}"`);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
export const badRequest = (message: string) => new ApiError(400, 'bad_request', message);
