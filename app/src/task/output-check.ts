/**
 * Who can read a task's topics when settings.format or settings.flatten make them something other than Debezium's Avro
 * envelope (docs/formats.md): `ferry sink` workers decode the envelope for every target but those that forward
 * records as they are (forwardsRecords: kafka, kinesis with format avro), so the others are refused for such a task, with the
 * setting named; without a kafka block (direct mode) there are no topics, and the settings are refused too.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { writesNonEnvelope } from '../../../runtime/src/config/output-settings.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';

type Target = ResolvedTask['targets'][number];

/** Kinesis partition keys a forwarded (undecoded) record can have. */
const FORWARDED_PARTITION_KEYS = ['primary-key', 'schema-table', 'constant'];

/**
 * Whether a target forwards records as they are (runtime/src/sink-worker/pass-through.ts): the kafka target; the
 * kinesis target with format avro (which forwards the record's bytes) and a partition key that needs no decoded
 * value (primary-key: the key's text; schema-table; constant).
 */
export function forwardsRecords(t: Target): boolean {
  if (t.type === 'kafka') return true;
  if (t.type !== 'kinesis') return false;
  const o = t as { format?: unknown; partitionKeyType?: unknown };
  return o.format === 'avro' && FORWARDED_PARTITION_KEYS.includes(typeof o.partitionKeyType === 'string' ? o.partitionKeyType : 'primary-key');
}

/** Whether a target's sink worker reads this task's topics without decoding them. */
export function passesThrough(task: Pick<ResolvedTask, 'settings'>, target: Target): boolean {
  return writesNonEnvelope(task.settings) && forwardsRecords(target);
}

/** What makes the task's topics not the Avro envelope, for messages; null when they are the envelope. */
export function nonEnvelopeOutput(task: Pick<ResolvedTask, 'settings'>): string | null {
  if (!writesNonEnvelope(task.settings)) return null;
  const s = task.settings;
  const parts = [
    ...(s.format !== 'avro' ? [`settings.format is ${s.format}`] : []),
    ...(s.flatten.enabled || Object.values(s.flatten.tables).some((t) => t.enabled) ? ['settings.flatten is on'] : []),
  ];
  return parts.join(' and ');
}

/**
 * Refuses what cannot work: `run` without a kafka block (direct mode has no topics to format), `sink` (the workers
 * decode the Avro envelope) for a task whose topics are not the envelope.
 */
export function checkOutputSettings(task: Pick<ResolvedTask, 'settings' | 'kafka' | 'targets' | 'tableMappings'>, mode: 'run' | 'sink'): void {
  const why = nonEnvelopeOutput(task);
  if (why === null) return;
  const f = task.settings.flatten;
  if (task.settings.format === 'cloudevents' && (f.enabled || Object.values(f.tables).some((t) => t.enabled))) {
    throw new FerryError('FERRY_CONFIG_INVALID', 'settings.format cloudevents needs the change-event envelope (its source block makes the CloudEvents attributes), but settings.flatten is on: turn flattening off, or use format json (docs/formats.md)', { disposition: 'fatal' });
  }
  if (mode === 'run' && !task.kafka) {
    throw new FerryError('FERRY_CONFIG_INVALID', `${why}, but the task has no kafka block: settings.format and settings.flatten shape the Kafka topics, and direct mode writes the targets without topics. Add a kafka block, or remove settings.format / settings.flatten (docs/formats.md)`, { disposition: 'fatal' });
  }
  if (mode !== 'sink') return;
  const decoding = task.targets.filter((t) => !forwardsRecords(t));
  if (decoding.length > 0) {
    throw new FerryError('FERRY_CONFIG_INVALID', `${why}: the task's topics do not hold Debezium's Avro envelope, which \`ferry sink\` workers decode for ${decoding.map((t) => `target ${t.name ?? t.type} (${t.type})`).join(', ')}; only kafka targets, and kinesis targets with format avro and partitionKeyType primary-key, schema-table or constant, forward other formats as they are. Set settings.format to avro and turn settings.flatten off for those targets, or read the topics with a consumer of that format (docs/formats.md)`, { disposition: 'fatal' });
  }
  const rules = (task.tableMappings as { rules?: readonly { 'rule-type'?: string }[] } | undefined)?.rules ?? [];
  if (task.targets.length > 0 && rules.some((r) => r['rule-type'] === 'object-mapping')) {
    throw new FerryError('FERRY_CONFIG_INVALID', `${why}: object-mapping rules shape DMS JSON from the decoded Avro envelope, which these topics do not hold. Remove the object-mapping rules, or set settings.format to avro without settings.flatten (docs/formats.md)`, { disposition: 'fatal' });
  }
}
