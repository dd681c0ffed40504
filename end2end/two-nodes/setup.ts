// The cluster the two-node walk runs against, started before it and stopped after it: a fresh
// PostgreSQL database, two `server serve` processes sharing it and Redis, and HAProxy in front
// with the deployment's own configuration (deploy/haproxy/haproxy.cfg).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serverEnvironment } from '../common';
import { cluster, root, type NodeName } from './cluster';

const SERVER = path.join(root, 'target/debug/server');
const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

function psql(sql: string) {
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts `command` with its stdout in `log` and its stderr in `errors` (by default `log` too). */
function start(command: string, args: string[], env: Record<string, string>, log: string, errors = log): ChildProcess {
  const out = openSync(log, 'a');
  const err = errors === log ? out : openSync(errors, 'a');
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', out, err] });
  closeSync(out);
  if (err !== out) closeSync(err);
  return child;
}

function tail(file: string) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
}

/** Waits until `url` answers 200, failing early (with the log) when `child` exits first. */
async function ready(url: string, child: ChildProcess, log: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${path.basename(log)}: exited (${child.exitCode ?? child.signalCode}) before ${url} was ready:\n${tail(log)}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} was not ready within ${timeoutMs / 1000} s:\n${tail(log)}`);
}

/** SIGTERM, and SIGKILL if it is still there after `graceMs` (a node finishes its requests and
 * stops its QEMU VMs on SIGTERM; a kill would leave the VMs for the next start to sweep). */
async function stop(child: ChildProcess, graceMs: number) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function nodeEnv(name: NodeName): Record<string, string> {
  const node = cluster.nodes[name];
  return {
    HOST: '127.0.0.1',
    PORT: String(node.port),
    DATABASE_URL: cluster.databaseUrl,
    // Live notifications and attempt limits shared between the two processes.
    REDIS_URL: 'redis://127.0.0.1:6379',
    // Links, the CSRF origin check and cookies are about the address people use: the balancer's.
    PUBLIC_URL: cluster.url,
    // Every request comes from HAProxy; the client is the address it forwards.
    TRUSTED_PROXIES: '127.0.0.1',
    // The walk reads each node's own counters (open sockets, finished provisioning) from here.
    METRICS_ADDR: new URL(node.metrics).host,
    ...serverEnvironment,
  };
}

export default async function globalSetup() {
  const children: ChildProcess[] = [];
  let created = false;
  // Should the runner die without its teardown, nothing of ours is left listening.
  const orphans = () => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL'));
  process.on('exit', orphans);

  const teardown = async () => {
    // The balancer first, so nothing new reaches a node that is stopping.
    for (const child of children.slice().reverse()) await stop(child, 40_000);
    process.off('exit', orphans);
    if (created) psql(`DROP DATABASE IF EXISTS ${cluster.database} WITH (FORCE)`);
  };

  try {
    if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: build it with cargo build -p server --bin server`);
    psql(`CREATE DATABASE ${cluster.database}`);
    created = true;

    // Node A alone first: it applies the migrations and stores the generated secrets (JWT,
    // data encryption key) that node B then reads instead of making its own.
    for (const name of ['a', 'b'] as const) {
      const node = cluster.nodes[name];
      const child = start(SERVER, ['serve'], nodeEnv(name), node.log);
      children.push(child);
      await ready(`http://127.0.0.1:${node.port}/readyz`, child, node.log, 120_000);
    }

    const haproxy = start(
      HAPROXY,
      ['-db', '-f', path.join(root, 'deploy/haproxy/haproxy.cfg')],
      {
        WEBRANA_LISTEN: `127.0.0.1:${cluster.lbPort}`,
        WEBRANA_NODE_A: `127.0.0.1:${cluster.nodes.a.port}`,
        WEBRANA_NODE_B: `127.0.0.1:${cluster.nodes.b.port}`,
      },
      // Its stdout is the access log the walk reads (`log stdout` in the configuration).
      cluster.haproxyLog,
      cluster.haproxyErrors,
    );
    children.push(haproxy);
    await ready(`${cluster.url}/readyz`, haproxy, cluster.haproxyErrors, 30_000);
    console.log(`two-nodes: balancer ${cluster.url}, database ${cluster.database}, logs in ${cluster.dir}`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
