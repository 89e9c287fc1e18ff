/** How numbers and times are shown: the same text the tests expect for each API value. */
const int = new Intl.NumberFormat('en-US');

export const count = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : int.format(n));

/** Milliseconds as "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min"; null as "—". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const rate = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : `${n.toFixed(1)}/s`);

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour12: false, hour: '2-digit', minute: '2-digit' });
}
