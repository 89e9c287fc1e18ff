/**
 * The screen of `ferry top`: the snapshot as lines of text fitted to the terminal's width, and the ANSI sequences
 * that draw them in place on the alternate screen buffer (no curses: cursor addressing and erase-line only).
 */
import type { TopSnapshot, TopTable } from './top-snapshot.ts';

export const ANSI = {
  /** Switch to the alternate screen buffer and hide the cursor. */
  enter: '\x1b[?1049h\x1b[?25l',
  /** Show the cursor and switch back to the normal screen buffer (what the terminal showed before). */
  leave: '\x1b[?25h\x1b[?1049l',
  home: '\x1b[H',
  clearToEnd: '\x1b[J',
  clearLine: '\x1b[K',
  reverse: '\x1b[7m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
} as const;

const num = (v: number | null, digits = 1) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(digits));

export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

const COLUMNS: readonly { title: string; width: number; right: boolean; cell: (t: TopTable) => string }[] = [
  { title: 'STATE', width: 15, right: false, cell: (t) => t.state },
  { title: 'ROWS COPIED', width: 12, right: true, cell: (t) => String(t.rowsCopied) },
  { title: 'ESTIMATE', width: 10, right: true, cell: (t) => (t.rowsEstimate === null ? '-' : String(t.rowsEstimate)) },
  { title: '%', width: 6, right: true, cell: (t) => (t.percent === null ? '-' : `${num(t.percent)}%`) },
  { title: 'ETA', width: 8, right: true, cell: (t) => duration(t.etaSeconds) },
  { title: 'EVENTS', width: 10, right: true, cell: (t) => String(t.events) },
  { title: 'EVENTS/S', width: 9, right: true, cell: (t) => num(t.eventsPerSecond) },
  { title: 'ERRORS', width: 7, right: true, cell: (t) => String(t.errors) },
];

const fit = (s: string, w: number, right: boolean) => (s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : right ? s.padStart(w) : s.padEnd(w));

/** The screen's lines, each at most `width` characters (the first two and the column titles are styled by draw()). */
export function renderLines(s: TopSnapshot, width: number, intervalSeconds: number): string[] {
  const lat = (v: number | null) => (v === null ? '-' : `${num(v, 3)}s`);
  const lines = [
    `ferry top - task ${s.task}  state ${s.state}${s.reason ? ` (${s.reason})` : ''}  type ${s.migrationType ?? '-'}  uptime ${duration(s.uptimeSeconds)}`,
    `events/s ${num(s.eventsPerSecond)}  CDCLatencySource ${lat(s.latencySourceSeconds)}  CDCLatencyTarget ${lat(s.latencyTargetSeconds)}  dead letters ${s.deadLetters}  retries ${s.retries}`,
    `${s.source === 'api' ? 'API' : 'metrics'} ${s.endpoint}  every ${intervalSeconds}s  ${s.at.slice(11, 19)} UTC  (q to quit)`,
    '',
  ];
  const nameWidth = Math.max(5, Math.min(40, Math.max(0, ...s.tables.map((t) => t.table.length))));
  lines.push([fit('TABLE', nameWidth, false), ...COLUMNS.map((c) => fit(c.title, c.width, c.right))].join(' '));
  for (const t of s.tables) lines.push([fit(t.table, nameWidth, false), ...COLUMNS.map((c) => fit(c.cell(t), c.width, c.right))].join(' '));
  if (s.tables.length === 0) lines.push('(no tables yet)');
  return lines.map((l) => (l.length > width ? l.slice(0, width) : l));
}

/** The bytes that redraw the whole screen in place: home, each line then erase-to-end-of-line, erase below. */
export function draw(s: TopSnapshot, size: { columns: number; rows: number }, intervalSeconds: number): string {
  const lines = renderLines(s, Math.max(20, size.columns), intervalSeconds).slice(0, Math.max(1, size.rows));
  const styled = lines.map((l, i) => (i === 0 ? `${ANSI.bold}${l}${ANSI.reset}` : i === 4 ? `${ANSI.reverse}${l.padEnd(size.columns)}${ANSI.reset}` : l));
  return `${ANSI.home}${styled.map((l) => `${l}${ANSI.clearLine}`).join('\r\n')}${ANSI.clearToEnd}`;
}
