// deploy/kubernetes/ against Kubernetes' JSON schemas (the oldest and newest version we support) and KEDA's CRDs, with
// kubeconform, offline (scripts/kube-tools.sh installs both from package registries into .tools/kube); then broken
// copies of the manifests, which must fail with the mistake named; then what no schema knows: probes on the health
// endpoints, the security context, secrets only by reference, selectors and references that meet, and the sink's
// KEDA trigger reading the consumer group that `ferry sink` really uses for that task file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { parseTask } from '../../app/src/task-file/load-task.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'deploy', 'kubernetes');
const KUBE_VERSIONS = ['1.32.0', '1.37.0']; // as scripts/kube-tools.sh installs them

const tools = execFileSync('bash', [join(ROOT, 'scripts', 'kube-tools.sh'), '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

interface Resource { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> }
interface Checked { filename: string; kind: string; name: string; status: string; msg: string }

/** kubeconform over a folder, or over `stdin` (a rendered stream) when `dir` is null. */
function kubeconform(dir: string | null, version: string, stdin?: string): { status: number | null; resources: Checked[]; summary: Record<string, number> } {
  const r = spawnSync(join(tools, 'bin', 'kubeconform'), [
    '-strict', '-summary', '-output', 'json', '-verbose', '-kubernetes-version', version,
    '-schema-location', join(tools, 'k8s', '{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
    '-schema-location', join(tools, 'crds', '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    '-ignore-filename-pattern', 'kustomization\\.yaml$', ...(dir ? [dir] : []),
  ], { encoding: 'utf8', ...(stdin !== undefined ? { input: stdin } : {}) });
  assert.equal(r.error, undefined);
  const out = JSON.parse(r.stdout) as { resources: Checked[]; summary: Record<string, number> };
  return { status: r.status, ...out };
}

const manifestFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const resources: Resource[] = manifestFiles.flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as Resource));
const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
const one = (kind: string, name: string) => {
  const r = resources.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(r, `no ${kind} ${name} in deploy/kubernetes`);
  return r;
};

test('every manifest is valid for Kubernetes 1.32 and 1.37 and KEDA, strictly (no unknown field)', () => {
  assert.ok(resources.length >= 13, `${resources.length} resources`);
  for (const version of KUBE_VERSIONS) {
    const r = kubeconform(DIR, version);
    const bad = r.resources.filter((x) => x.status !== 'statusValid');
    assert.deepEqual(bad, [], `Kubernetes ${version}`);
    assert.equal(r.status, 0);
    assert.equal(r.resources.length, resources.length, 'every resource was checked against a schema');
    assert.deepEqual(r.summary, { valid: resources.length, invalid: 0, errors: 0, skipped: 0 });
  }
});

test('broken manifests fail the check, each with its mistake named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-kube-broken-'));
  try {
    const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
    const mutate = (name: string, file: string, from: string | RegExp, to: string) => {
      const text = read(file);
      const changed = text.replace(from, to);
      assert.notEqual(changed, text, `${name}: ${String(from)} not found in ${file}`);
      writeFileSync(join(dir, `${name}.yaml`), changed);
    };
    mutate('probe-typo', 'worker-statefulset.yaml', 'periodSeconds: 10', 'periodSecond: 10');
    mutate('replicas-string', 'worker-statefulset.yaml', /replicas: 2\b/, 'replicas: "two"');
    mutate('old-pdb-api', 'worker-pdb.yaml', 'policy/v1', 'policy/v1beta1');
    mutate('kafka-key-typo', 'sink-scaledobject.yaml', 'lagThreshold:', 'lagTreshold:');
    mutate('kafka-not-a-number', 'sink-scaledobject.yaml', 'lagThreshold: "50000"', 'lagThreshold: "50k"');
    mutate('prometheus-no-threshold', 'worker-scaledobject.yaml', /\n\s+threshold: "4".*/, '');
    mutate('scaledobject-field-typo', 'sink-scaledobject.yaml', 'minReplicaCount:', 'minReplicas:');
    const r = kubeconform(dir, KUBE_VERSIONS[0]!);
    assert.equal(r.status, 1);
    const first = (file: string) => {
      const x = r.resources.find((c) => c.filename.endsWith(`/${file}.yaml`) && c.status !== 'statusValid');
      assert.ok(x, `${file}: not reported (${JSON.stringify(r.resources.filter((c) => c.filename.endsWith(`/${file}.yaml`)))})`);
      return x;
    };
    assert.match(first('probe-typo').msg, /livenessProbe.*additional properties 'periodSecond' not allowed/);
    assert.match(first('replicas-string').msg, /\/spec\/replicas.*got string, want null or integer/);
    assert.match(first('old-pdb-api').msg, /could not find schema for PodDisruptionBudget/);
    assert.match(first('kafka-key-typo').msg, /metadata.*additional properties 'lagTreshold' not allowed/);
    assert.match(first('kafka-not-a-number').msg, /lagThreshold.*'50k' does not match pattern/);
    assert.match(first('prometheus-no-threshold').msg, /missing property 'threshold'/);
    assert.match(first('scaledobject-field-typo').msg, /additional properties 'minReplicas' not allowed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kustomize renders the folder as `kubectl apply -k` would, and what it renders is valid too', () => {
  const k = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[]; namespace: string; images: { name: string; newName: string; newTag: string }[] };
  assert.deepEqual([...k.resources].sort(), manifestFiles, 'kustomization.yaml lists exactly the manifests of the folder');
  const rendered = execFileSync(join(tools, 'bin', 'kustomize'), ['build', DIR], { encoding: 'utf8' });
  const objects = parseAllDocuments(rendered).map((d) => d.toJS() as Resource & { metadata: { namespace?: string } });
  assert.equal(objects.length, resources.length);
  for (const o of objects) {
    if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, k.namespace, `${o.kind}/${o.metadata.name} lands in ${k.namespace}`);
    assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'ferry');
    for (const c of (o.spec?.template?.spec?.containers ?? []) as { image: string }[]) assert.equal(c.image, `${k.images[0]!.newName}:${k.images[0]!.newTag}`);
  }
  const r = kubeconform(null, KUBE_VERSIONS[0]!, rendered);
  assert.deepEqual(r.summary, { valid: objects.length, invalid: 0, errors: 0, skipped: 0 }, JSON.stringify(r.resources.filter((x) => x.status !== 'statusValid')));
});

const workloads = () => [...byKind('StatefulSet'), ...byKind('Deployment')];

test('workloads: probes on /healthz and /readyz of a declared port, scrape annotations, limits, a locked-down pod', () => {
  assert.deepEqual(workloads().map((w) => `${w.kind}/${w.metadata.name}`).sort(), ['Deployment/ferry-sink-shop-warehouse', 'StatefulSet/ferry-worker']);
  for (const w of workloads()) {
    const pod = w.spec.template;
    const spec = pod.spec;
    assert.equal(spec.automountServiceAccountToken, false, w.metadata.name);
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.ok(spec.terminationGracePeriodSeconds > 30, 'longer than the sink shutdown timeout (30 s)');
    assert.equal(spec.containers.length, 1);
    const c = spec.containers[0];
    const ports = new Map<string, number>(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    for (const [probe, path] of [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
      assert.equal(c[probe].httpGet.path, path, `${w.metadata.name} ${probe}`);
      assert.ok(ports.has(c[probe].httpGet.port), `${w.metadata.name} ${probe} port ${c[probe].httpGet.port}`);
    }
    const annotations = pod.metadata.annotations;
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/path'], '/metrics');
    assert.ok([...ports.values()].includes(Number(annotations['prometheus.io/port'])), 'the scrape port is the container port the probes use');
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${w.metadata.name} requests and a memory limit`);
    // A read-only root: the places Ferry writes are volumes.
    const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const p of ['/var/lib/ferry', '/tmp']) assert.ok(mounts.includes(p), `${w.metadata.name} mounts ${p}`);
    // Secrets by reference only: no literal value for an env var that looks like a credential.
    for (const e of c.env ?? []) {
      if (/PASSWORD|SECRET|TOKEN|KEY/i.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${e.name} comes from a Secret`);
    }
  }
});

test('the cluster worker runs `ferry worker` as its contract says, with a stable worker id', () => {
  const sts = one('StatefulSet', 'ferry-worker');
  const c = sts.spec.template.spec.containers[0];
  assert.equal(c.args[0], 'worker');
  const http = c.args[c.args.indexOf('--http') + 1];
  assert.equal(http, `0.0.0.0:${c.ports.find((p: { name: string }) => p.name === 'http').containerPort}`);
  assert.equal(c.args[c.args.indexOf('--state-dir') + 1], '/var/lib/ferry');
  const env = new Map<string, any>(c.env.map((e: { name: string }) => [e.name, e]));
  assert.equal(env.get('FERRY_WORKER_ID').valueFrom.fieldRef.fieldPath, 'metadata.name');
  const config = one('ConfigMap', 'ferry-worker');
  for (const name of ['FERRY_CLUSTER', 'FERRY_KAFKA_BOOTSTRAP']) {
    const ref = env.get(name).valueFrom.configMapKeyRef;
    assert.equal(ref.name, 'ferry-worker');
    assert.ok(config.data![ref.key], `${name} is in the ConfigMap`);
  }
  const api = one('Service', 'ferry-api');
  assert.deepEqual(api.spec.selector, { 'app.kubernetes.io/name': 'ferry-worker' });
  assert.equal(sts.spec.serviceName, one('Service', 'ferry-worker-headless').metadata.name);
});

test('PodDisruptionBudgets and ScaledObjects point at the workloads that exist', () => {
  for (const pdb of byKind('PodDisruptionBudget')) {
    const matched = workloads().filter((w) => Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
    assert.equal(matched.length, 1, `PDB ${pdb.metadata.name} selects one workload's pods`);
    assert.equal(pdb.spec.maxUnavailable, 1);
  }
  assert.equal(byKind('PodDisruptionBudget').length, workloads().length, 'a PDB per workload');
  for (const so of byKind('ScaledObject')) {
    const target = one(so.spec.scaleTargetRef.kind, so.spec.scaleTargetRef.name);
    assert.equal(target.apiVersion, so.spec.scaleTargetRef.apiVersion);
    for (const t of so.spec.triggers) if (t.authenticationRef) one('TriggerAuthentication', t.authenticationRef.name);
  }
  const worker = one('ScaledObject', 'ferry-worker');
  assert.ok(worker.spec.minReplicaCount >= 2, 'a standby worker for failover');
  assert.deepEqual(worker.spec.triggers.map((t: { type: string }) => t.type), ['prometheus']);
  assert.match(worker.spec.triggers[0].metadata.query, /ferry_worker_tasks_assigned.*ferry_cluster_tasks_unassigned/);
});

test("the sink's KEDA trigger reads the consumer group `ferry sink` uses for its task file, and the task file is valid", () => {
  const deployment = one('Deployment', 'ferry-sink-shop-warehouse');
  const c = deployment.spec.template.spec.containers[0];
  assert.equal(c.args[0], 'sink');
  const taskPath: string = c.args[1];
  const target: string = c.args[c.args.indexOf('--target') + 1];
  const mount = c.volumeMounts.find((m: { mountPath: string }) => taskPath.startsWith(`${m.mountPath}/`));
  const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  const text = one('ConfigMap', volume.configMap.name).data![taskPath.slice(mount.mountPath.length + 1)];
  assert.ok(text, `${taskPath} is in ConfigMap ${volume.configMap.name}`);
  // Every ${env:NAME} of the task file is set by the Deployment, from a Secret.
  const env = new Map<string, any>(c.env.map((e: { name: string }) => [e.name, e]));
  const refs = [...text.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
  assert.ok(refs.length > 0);
  for (const name of refs) assert.ok(env.get(name)?.valueFrom?.secretKeyRef, `${name} comes from a Secret`);
  const task = parseTask(parse(text), { env: Object.fromEntries(refs.map((n) => [n, 'from-a-secret'])) });
  const t = task.targets.find((x) => x.name === target);
  assert.ok(t, `target ${target} in the task file`);
  assert.equal((t as Record<string, unknown>).password, 'from-a-secret');
  const port = c.ports.find((p: { name: string }) => p.name === c.readinessProbe.httpGet.port).containerPort;
  assert.equal(task.settings.metrics.port, port, 'the probes reach the metrics server');
  assert.equal(task.settings.metrics.host, '0.0.0.0');
  const writable = c.volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly).map((m: { mountPath: string }) => m.mountPath);
  assert.ok(writable.some((p: string) => task.settings.stateDir.startsWith(`${p}/`)), `stateDir ${task.settings.stateDir} is on a writable volume`);
  const so = one('ScaledObject', 'ferry-sink-shop-warehouse');
  const kafka = so.spec.triggers.find((x: { type: string }) => x.type === 'kafka');
  assert.equal(kafka.metadata.consumerGroup, `ferry-sink-${task.name}-${target}`, 'app/src/task/targets.ts names the group so');
  assert.deepEqual(kafka.metadata.bootstrapServers.split(','), [...task.kafka!.brokers]);
  assert.equal(kafka.metadata.allowIdleConsumers, 'false', 'no more workers than partitions');
});

test('the image runs as the user the pods require, and exposes the ports they probe', () => {
  const containerfile = readFileSync(join(ROOT, 'deploy', 'container', 'Containerfile'), 'utf8');
  const final = containerfile.slice(containerfile.lastIndexOf('\nFROM '));
  const [uid, gid] = /^USER (\d+):(\d+)$/m.exec(final)!.slice(1).map(Number);
  const exposed = /^EXPOSE (.+)$/m.exec(final)![1]!.split(/\s+/).map(Number);
  assert.match(final, /^ENTRYPOINT \["node", "\/opt\/ferry\/bin\/ferry\.js"\]$/m);
  for (const w of workloads()) {
    const pod = w.spec.template.spec;
    assert.equal(pod.securityContext.runAsUser, uid, `${w.metadata.name} runs as the image's user`);
    assert.equal(pod.securityContext.runAsGroup, gid);
    for (const p of pod.containers[0].ports) assert.ok(exposed.includes(p.containerPort), `port ${p.containerPort} is exposed`);
  }
});

/** ferry_<name> for every metrics.counter/gauge/histogram('<name>', …) in the source (as test/docs/metrics-docs.test.ts reads them). */
function declaredMetrics(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'test') walk(p); } else if (p.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\.(?:counter|gauge|histogram)\(\s*'([a-z0-9_]+)'/g)) out.add(`ferry_${m[1]}`);
      }
    }
  };
  for (const d of ['core/src', 'runtime/src', 'app/src']) walk(join(ROOT, d));
  return out;
}

test('the metrics the cluster ScaledObject queries are metrics Ferry declares', (t) => {
  // deploy/kubernetes/ was written against the contract of `ferry worker` (issue 23), built on another branch: until
  // the command is in this tree there is nothing to compare with; from then on a renamed metric fails here.
  if (!/\.command\('worker'\)/.test(readFileSync(join(ROOT, 'app', 'src', 'cli', 'main.ts'), 'utf8'))) {
    t.skip('`ferry worker` is not in this tree yet');
    return;
  }
  const declared = declaredMetrics();
  const query: string = one('ScaledObject', 'ferry-worker').spec.triggers[0].metadata.query;
  const used = [...query.matchAll(/\bferry_[a-z0-9_]+/g)].map((m) => m[0]);
  assert.ok(used.length >= 2);
  for (const name of used) assert.ok(declared.has(name), `${name} (worker-scaledobject.yaml) is not declared by any metrics.gauge/counter/histogram call`);
});
