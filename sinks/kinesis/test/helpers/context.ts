/** A SinkWriteContext for calling a sink directly (no worker). */
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';

export function writeContext(signal = new AbortController().signal): SinkWriteContext & { files: number } {
  const ctx = {
    signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), files: 0,
    report: { file: () => { ctx.files++; } },
  };
  return ctx;
}
