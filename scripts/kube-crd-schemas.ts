/**
 * KEDA's CRDs as the JSON schemas kubeconform reads (scripts/kube-tools.sh runs it; no network).
 *
 * A CRD carries an OpenAPI v3 schema per version (spec.versions[].schema.openAPIV3Schema). kubeconform wants one JSON
 * schema per kind and version, at <out>/<group>/<kind lowercased>_<version>.json. The conversion:
 *   - strict: an object schema with `properties` and neither `additionalProperties` nor
 *     `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`, so a misspelled field is an error
 *     (the API server prunes unknown fields silently, which hides the mistake until the object misbehaves);
 *   - `nullable: true` becomes a `null` type alternative; apiVersion and kind are pinned to the CRD's own;
 *   - a trigger's `metadata` is a free string map in the CRD. For the scaler types Ferry's manifests use (kafka,
 *     prometheus), the keys a scaler accepts are read from its typed config in KEDA's source, the struct tags
 *     `keda:"name=…,order=triggerMetadata…"`: unknown keys are errors, keys without `optional` or a default are
 *     required (or their `…FromEnv` form when the tag allows `resolvedEnv`), integer, float, boolean and enum
 *     values are checked as KEDA parses them.
 * Usage: scripts/node scripts/kube-crd-schemas.ts --keda <KEDA module dir> --out <dir>
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

type Schema = Record<string, unknown>;

const CRD_FILES = ['keda.sh_scaledobjects.yaml', 'keda.sh_scaledjobs.yaml', 'keda.sh_triggerauthentications.yaml', 'keda.sh_clustertriggerauthentications.yaml'];
/** Trigger type → the KEDA source files holding its typed metadata. */
const SCALERS: Record<string, string[]> = {
  kafka: ['pkg/scalers/kafka_scaler.go'],
  prometheus: ['pkg/scalers/prometheus_scaler.go', 'pkg/scalers/authentication/authentication_types.go'],
};

/** Makes object schemas strict and nullable fields explicit, in place. */
export function strictify(node: unknown): void {
  if (Array.isArray(node)) { for (const n of node) strictify(n); return; }
  if (!node || typeof node !== 'object') return;
  const s = node as Schema;
  if (s.nullable === true && typeof s.type === 'string') { s.type = [s.type, 'null']; delete s.nullable; }
  if (s.properties && s.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) s.additionalProperties = false;
  for (const v of Object.values(s)) strictify(v);
}

interface MetadataKey { names: string[]; goType: string; required: boolean; fromEnv: boolean; enumValues?: string[] }

/** The trigger-metadata keys of a scaler, from the `keda:"…"` struct tags of its Go source. */
export function metadataKeys(goSource: string): MetadataKey[] {
  const out: MetadataKey[] = [];
  for (const m of goSource.matchAll(/^\s*\w+\s+([\w.[\]*]+)\s+`[^`]*keda:"([^"]*)"[^`]*`/gm)) {
    const goType = m[1]!;
    const tag = new Map<string, string>();
    for (const part of m[2]!.split(',')) {
      const [k, ...v] = part.trim().split('=');
      tag.set(k!.trim(), v.join('=').trim());
    }
    const names = tag.get('name')?.split(';').filter(Boolean);
    const order = tag.get('order')?.split(';') ?? [];
    if (!names || !order.includes('triggerMetadata')) continue;
    const enumValues = tag.get('enum')?.split(';');
    out.push({
      names, goType, fromEnv: order.includes('resolvedEnv'),
      required: !tag.has('optional') && !tag.has('default') && !order.includes('authParams'),
      ...(enumValues && !goType.startsWith('[]') ? { enumValues } : {}),
    });
  }
  return out;
}

const BOOL = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']; // Go's strconv.ParseBool

function valueSchema(k: MetadataKey): Schema {
  if (k.enumValues) return { type: 'string', enum: k.enumValues };
  if (/^u?int\d*$/.test(k.goType)) return { type: 'string', pattern: '^-?[0-9]+$' };
  if (/^float\d+$/.test(k.goType)) return { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?$' };
  if (k.goType === 'bool') return { type: 'string', enum: BOOL };
  return { type: 'string' };
}

export function metadataSchema(keys: readonly MetadataKey[]): Schema {
  const properties: Record<string, Schema> = {};
  const allOf: Schema[] = [];
  for (const k of keys) {
    for (const n of k.names) {
      properties[n] = valueSchema(k);
      if (k.fromEnv) properties[`${n}FromEnv`] = { type: 'string' };
    }
    if (k.required) allOf.push({ anyOf: k.names.flatMap((n) => [{ required: [n] }, ...(k.fromEnv ? [{ required: [`${n}FromEnv`] }] : [])]) });
  }
  return { type: 'object', properties, additionalProperties: false, ...(allOf.length ? { allOf } : {}) };
}

function main(): void {
  const { values } = parseArgs({ options: { keda: { type: 'string' }, out: { type: 'string' } } });
  if (!values.keda || !values.out) throw new Error('usage: kube-crd-schemas.ts --keda <KEDA module dir> --out <dir>');
  const triggerRules: Schema[] = Object.entries(SCALERS).map(([type, files]) => ({
    if: { properties: { type: { const: type } }, required: ['type'] },
    then: { properties: { metadata: metadataSchema(files.flatMap((f) => metadataKeys(readFileSync(join(values.keda!, f), 'utf8')))) } },
  }));
  let written = 0;
  for (const file of CRD_FILES) {
    const crd = parse(readFileSync(join(values.keda, 'config/crd/bases', file), 'utf8')) as {
      spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    };
    const { group, names: { kind } } = crd.spec;
    mkdirSync(join(values.out, group), { recursive: true });
    for (const v of crd.spec.versions) {
      const schema = structuredClone(v.schema.openAPIV3Schema);
      strictify(schema);
      const props = schema.properties as Record<string, Schema>;
      props.apiVersion = { type: 'string', enum: [`${group}/${v.name}`] };
      props.kind = { type: 'string', enum: [kind] };
      const triggers = ((props.spec?.properties as Record<string, Schema> | undefined)?.triggers?.items) as Schema | undefined;
      if (triggers) triggers.allOf = triggerRules;
      // kubeconform reads a schema without $schema as draft 4, which has no if/then (the trigger rules above).
      const out = { $schema: 'http://json-schema.org/draft-07/schema#', ...schema };
      writeFileSync(join(values.out, group, `${kind.toLowerCase()}_${v.name}.json`), JSON.stringify(out, null, 1));
      written++;
    }
  }
  console.error(`kube-crd-schemas: ${written} schemas from KEDA's CRDs in ${values.out}`);
}

if (import.meta.main) main();
