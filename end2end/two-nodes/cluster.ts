// Where the two-node cluster lives: a balancer in front of node A and node B, one PostgreSQL
// database, a temporary folder for their logs. Chosen on the first load (by the runner, through
// two-nodes.config.ts) and handed to the workers, which load this again, through the environment.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from '../common';

export { root };
export const POSTGRES = 'postgres://postgres@127.0.0.1:5432';

/** `count` ports free at the same moment, so no two of them are the same. */
function freePorts(count: number): string {
  return execFileSync(process.execPath, [
    '-e',
    `const net = require('net');
     Promise.all(Array.from({ length: ${count} }, () => new Promise((resolve) => {
       const server = net.createServer();
       server.listen(0, '127.0.0.1', () => resolve(server));
     }))).then((servers) => {
       console.log(servers.map((server) => server.address().port).join(','));
       servers.forEach((server) => server.close());
     });`,
  ])
    .toString()
    .trim();
}

if (!process.env.TWO_NODES_PORTS) {
  // The balancer, node A, node B, and each node's metrics listener.
  process.env.TWO_NODES_PORTS = freePorts(5);
  process.env.TWO_NODES_DIR = mkdtempSync(path.join(tmpdir(), 'webrana-two-nodes-'));
  process.env.TWO_NODES_DB = `webrana_two_nodes_${randomBytes(6).toString('hex')}`;
}

const [lbPort, portA, portB, metricsA, metricsB] = process.env.TWO_NODES_PORTS.split(',').map(Number);
const dir = process.env.TWO_NODES_DIR!;
const database = process.env.TWO_NODES_DB!;

export type NodeName = 'a' | 'b';

export const cluster = {
  dir,
  database,
  databaseUrl: `${POSTGRES}/${database}`,
  /** The only address the browser is given. */
  url: `http://127.0.0.1:${lbPort}`,
  lbPort,
  haproxyLog: path.join(dir, 'haproxy.log'),
  haproxyErrors: path.join(dir, 'haproxy-stderr.log'),
  nodes: {
    a: { port: portA, metrics: `http://127.0.0.1:${metricsA}/metrics`, log: path.join(dir, 'node-a.log') },
    b: { port: portB, metrics: `http://127.0.0.1:${metricsB}/metrics`, log: path.join(dir, 'node-b.log') },
  } as Record<NodeName, { port: number; metrics: string; log: string }>,
};
