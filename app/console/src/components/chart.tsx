/**
 * A small SVG line chart of the last hour, or of the samples so far when there is less (no chart library: the
 * console's bundle stays small). Each series is one
 * line; gaps (null) break it. The figure is labelled with the latest values for screen readers.
 */
export interface Series { label: string; values: (number | null)[]; className: string }

const W = 600;
const H = 160;
const PAD = { l: 56, r: 8, t: 10, b: 22 };

export function LineChart({ title, times, series, format, windowMs }: { title: string; times: number[]; series: Series[]; format: (v: number) => string; windowMs: number }) {
  const end = times.length ? Math.max(Date.now(), times[times.length - 1]!) : Date.now();
  // The window is the last hour once there is an hour of samples; until then, from the first one (at least a minute).
  const start = Math.max(end - windowMs, Math.min(times[0] ?? end, end - 60_000));
  const span = end - start;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const x = (t: number) => PAD.l + ((t - start) / span) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - v / max) * (H - PAD.t - PAD.b);
  const points = series.map((s) => s.values.map((v, i) => (v === null || times[i]! < start ? null : [x(times[i]!), y(v)] as const)));
  const paths = points.map((pts) => pts.map((p, i) => (p === null ? '' : `${pts[i - 1] ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`)).join(''));
  // Few samples (a task that just started): each one is also a dot, so a single sample shows.
  const dots = points.map((pts) => (pts.filter(Boolean).length <= 60 ? pts.filter((p): p is readonly [number, number] => p !== null) : []));
  const empty = series.every((s) => s.values.every((v) => v === null));
  const latest = series.map((s) => {
    const v = [...s.values].reverse().find((n) => n !== null);
    return `${s.label} ${v === undefined || v === null ? 'no data' : format(v)}`;
  }).join(', ');
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} over the last ${Math.round(span / 60000)} minutes: latest ${latest}; ${times.length} samples`} preserveAspectRatio="none">
        {empty && <text class="axis" x={W / 2} y={H / 2} text-anchor="middle">no samples while the task ran yet</text>}
        {!empty && [0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={PAD.l} x2={W - PAD.r} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={PAD.l - 4} y={y(max * f) + 4} text-anchor="end">{format(max * f)}</text>
          </g>
        ))}
        <text class="axis" x={PAD.l} y={H - 4}>−{Math.round(span / 60000)} min</text>
        <text class="axis" x={W - PAD.r} y={H - 4} text-anchor="end">now</text>
        {paths.map((d, i) => <path key={series[i]!.label} d={d} class={`line ${series[i]!.className}`} />)}
        {dots.map((pts, i) => pts.map((p) => <circle key={`${series[i]!.label}${p[0]}`} cx={p[0]} cy={p[1]} r={2.5} class={`dot ${series[i]!.className}`} />))}
      </svg>
      <ul class="legend">
        {series.map((s) => <li key={s.label}><span class={`swatch ${s.className}`} aria-hidden="true" />{s.label}</li>)}
      </ul>
    </figure>
  );
}
