/** A logger that drops everything (tests). */
import { Writable } from 'node:stream';
import { createLogger } from '../../../runtime/src/log/logger.ts';

export const quietLog = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
