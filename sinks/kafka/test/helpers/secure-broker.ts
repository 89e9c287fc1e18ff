/**
 * A second, secured Kafka broker for the Kafka target sink's tests: the same Kafka 4.1 jars infra/services.sh
 * installed (infra/kafka/lib), KRaft combined mode, in a temp dir, on free loopback ports, with
 *
 *   SASL_SSL  SCRAM-SHA-256/512 over TLS (the user is created by `kafka-storage format --add-scram`)
 *   SSL       TLS only (no SASL)
 *   MTLS      TLS with a required client certificate (mutual TLS; the client certificate is made here too)
 *   INTERNAL  plaintext, for the broker itself
 *
 * Certificates: a throwaway CA and a broker certificate for 127.0.0.1/localhost, made with openssl. stop() kills the
 * broker by its PID and removes the directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
export { freePort } from '../../../../test/helpers/services.ts';
import { freePort } from '../../../../test/helpers/services.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const LIB = join(ROOT, 'infra/kafka/lib');

export interface SecureBroker {
  readonly dir: string;
  readonly pid: number;
  /** host:port of the SASL_SSL (SCRAM) listener. */
  readonly saslSsl: string;
  /** host:port of the SSL (TLS only) listener. */
  readonly ssl: string;
  /** host:port of the mutual-TLS listener (ssl.client.auth=required). */
  readonly mtls: string;
  /** Files of a client certificate and key signed by the CA (accepted by the MTLS listener). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** host:port of the plaintext listener (for test readers that need no security). */
  readonly plain: string;
  /** PEM of the CA that signed the broker certificate. */
  readonly caPem: string;
  readonly caFile: string;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

function sh(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** CA + broker certificate (SAN 127.0.0.1, localhost) + PKCS12 keystore/truststore, in `dir`. */
function makeCerts(dir: string): void {
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ferry-test-ca'], dir);
  sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  sh('openssl', ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '2', '-extfile', 'san.ext'], dir);
  sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=ferry-client'], dir);
  sh('openssl', ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2'], dir);
  sh('openssl', ['pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-name', 'broker', '-out', 'broker.p12', '-passout', 'pass:changeit'], dir);
}

export async function startSecureBroker(o: { user?: string; password?: string } = {}): Promise<SecureBroker> {
  if (!existsSync(LIB)) throw new Error(`no Kafka jars in ${LIB}: run npm run services:up first`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-kafka-target-'));
  const user = o.user ?? 'ferry';
  const password = o.password ?? `s3cret-${Math.random().toString(36).slice(2, 10)}`;
  const [pSasl, pSsl, pPlain, pCtrl, pMtls] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  makeCerts(dir);
  const props = [
    'process.roles=broker,controller', 'node.id=1', `controller.quorum.voters=1@127.0.0.1:${pCtrl}`,
    `listeners=SASL_SSL://127.0.0.1:${pSasl},SSL://127.0.0.1:${pSsl},MTLS://127.0.0.1:${pMtls},INTERNAL://127.0.0.1:${pPlain},CONTROLLER://127.0.0.1:${pCtrl}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${pSasl},SSL://127.0.0.1:${pSsl},MTLS://127.0.0.1:${pMtls},INTERNAL://127.0.0.1:${pPlain}`,
    'controller.listener.names=CONTROLLER', 'inter.broker.listener.name=INTERNAL',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,MTLS:SSL',
    'listener.name.mtls.ssl.client.auth=required', `listener.name.mtls.ssl.truststore.location=${join(dir, 'ca.pem')}`, 'listener.name.mtls.ssl.truststore.type=PEM',
    'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `ssl.keystore.location=${join(dir, 'broker.p12')}`, 'ssl.keystore.type=PKCS12', 'ssl.keystore.password=changeit', 'ssl.key.password=changeit',
    'ssl.client.auth=none', 'ssl.endpoint.identification.algorithm=',
    `log.dirs=${join(dir, 'data')}`, 'num.partitions=1', 'default.replication.factor=1', 'min.insync.replicas=1', 'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1', 'offsets.topic.num.partitions=1', 'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1', 'share.coordinator.state.topic.replication.factor=1', 'share.coordinator.state.topic.min.isr=1',
    'share.coordinator.state.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0', 'num.network.threads=2', 'num.io.threads=2',
    'log.cleaner.threads=1', 'log.cleaner.dedupe.buffer.size=16777216', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=2000',
  ];
  writeFileSync(join(dir, 'server.properties'), `${props.join('\n')}\n`);
  const java = process.env.FERRY_JAVA ?? 'java';
  const jopts = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(ROOT, 'infra/kafka/log4j2.properties')}`, `-Dferry.service.dir=${dir}`];
  const cp = `${LIB}/*`;
  execFileSync(java, [...jopts, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', join(dir, 'server.properties'),
    '--add-scram', `SCRAM-SHA-512=[name=${user},password=${password}]`, '--add-scram', `SCRAM-SHA-256=[name=${user},password=${password}]`], { stdio: 'ignore' });
  const log = join(dir, 'kafka.log');
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(java, [...jopts, '-cp', cp, 'kafka.Kafka', join(dir, 'server.properties')], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const pid = child.pid!;
  child.unref();
  let exited = false;
  child.once('exit', () => { exited = true; });
  const stop = async (): Promise<void> => {
    if (!exited) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    const text = existsSync(join(dir, 'kafka.log')) ? readFileSync(join(dir, 'kafka.log'), 'utf8') : '';
    if (/Kafka Server started/.test(text)) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`the test broker did not start (${exited ? 'it exited' : 'timeout'}); log tail: ${text.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    dir, pid, saslSsl: `127.0.0.1:${pSasl}`, ssl: `127.0.0.1:${pSsl}`, mtls: `127.0.0.1:${pMtls}`, plain: `127.0.0.1:${pPlain}`,
    clientCertFile: join(dir, 'client.pem'), clientKeyFile: join(dir, 'client.key'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), caFile: join(dir, 'ca.pem'), user, password, stop,
  };
}

function clusterId(): string {
  for (;;) {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url').slice(0, 22);
    if (!id.startsWith('-')) return id;
  }
}
