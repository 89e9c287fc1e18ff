/**
 * TCP forwarders for bench/cluster-chaos.ts's network namespace: `scripts/node bench/lib/tcp-forward.ts
 * LISTEN_HOST:PORT=TARGET_HOST:PORT ...`. Run inside a namespace with `ip netns exec`, it makes the host's services
 * appear on the namespace's loopback. Exits when its stdin closes (its parent went away).
 */
import { createConnection, createServer } from 'node:net';

for (const spec of process.argv.slice(2)) {
  const [from, to] = spec.split('=') as [string, string];
  const [lh, lp] = [from.slice(0, from.lastIndexOf(':')), Number(from.slice(from.lastIndexOf(':') + 1))];
  const [th, tp] = [to.slice(0, to.lastIndexOf(':')), Number(to.slice(to.lastIndexOf(':') + 1))];
  createServer((client) => {
    const upstream = createConnection({ host: th, port: tp });
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  }).listen(lp, lh, () => process.stdout.write(`forwarding ${from} -> ${to}\n`));
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
