/**
 * The metrics registry every component uses: a thin facade over prom-client so that components declare
 * metrics by name and never import prom-client themselves. Metric names are prefixed `ferry_`.
 * Served as Prometheus text by metrics-server.ts.
 */
import client from 'prom-client';
import type { Counter, Gauge, Histogram, MetricsRegistry } from '../../../core/src/types.ts';

/**
 * How often the event-loop delay is sampled. prom-client's default (10 ms) is a timer that wakes an idle process 100
 * times a second, which on a quiet task costs more CPU than the replication itself; 200 ms still reports lag.
 */
const EVENT_LOOP_SAMPLE_MS = 200;

export class PromMetrics implements MetricsRegistry {
  readonly registry: client.Registry;
  readonly #metrics = new Map<string, Counter | Gauge | Histogram>();

  constructor(options: { defaultLabels?: Record<string, string>; collectProcessMetrics?: boolean } = {}) {
    this.registry = new client.Registry();
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options.collectProcessMetrics ?? true) client.collectDefaultMetrics({ register: this.registry, prefix: 'ferry_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#get(name, () => {
      const c = new client.Counter({ name: `ferry_${name}`, help, labelNames: [...labelNames], registers: [this.registry] });
      return { inc: (labels, value) => (labels ? c.inc(labels, value ?? 1) : c.inc(value ?? 1)) };
    });
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#get(name, () => {
      const g = new client.Gauge({ name: `ferry_${name}`, help, labelNames: [...labelNames], registers: [this.registry] });
      return { set: (labels, value) => g.set(labels, value) };
    });
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.#get(name, () => {
      const h = new client.Histogram({ name: `ferry_${name}`, help, labelNames: [...labelNames], registers: [this.registry], ...(buckets ? { buckets: [...buckets] } : {}) });
      return { observe: (labels, value) => h.observe(labels, value) };
    });
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  #get<T extends Counter | Gauge | Histogram>(name: string, make: () => T): T {
    let m = this.#metrics.get(name);
    if (!m) {
      m = make();
      this.#metrics.set(name, m);
    }
    return m as T;
  }
}
