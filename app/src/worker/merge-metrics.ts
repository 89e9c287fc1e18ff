/**
 * Several Prometheus text expositions as one (a worker's own registry and each running task's): the samples of a
 * metric family are grouped under one HELP and TYPE, as the text format requires.
 */
export function mergePrometheusText(texts: readonly string[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const m = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (m) {
        const name = m[2]!;
        let f = families.get(name);
        if (!f) {
          f = { header: [], samples: [] };
          families.set(name, f);
        }
        if (!f.header.some((h) => h.startsWith(`# ${m[1]} `))) f.header.push(line);
        current = f;
      } else if (current) {
        current.samples.push(line);
      }
    }
  }
  return [...families.values()].map((f) => [...f.header, ...f.samples].join('\n')).join('\n') + '\n';
}
