// One customer's whole walk through HAProxy in front of two `server` processes, round-robin with
// no sticky sessions: sign-up, e-mail verification, an order on the sandbox cloud paid in the
// sandbox, provisioning, the bell ringing live, the console drawing the VM's screen. Consecutive
// requests land on different nodes, so every step only works if the nodes share what they must
// (sessions, secrets, console tickets, jobs, the live feed). HAProxy's access log then says both
// nodes served pages, server functions and sockets, and the database says every job ran once.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ADMIN, hydrated, planOnSale, shot, verifiedCustomer } from '../tests/support';
import { cluster, root, type NodeName } from './cluster';

const RUN = Date.now();
const PLAN = `Dua Node ${RUN}`;
const HOST = `dua-node-${RUN % 1_000_000}`;
const CUSTOMER = { name: 'Sari Pertiwi', email: `sari-two-nodes-${RUN}@example.com`, password: 'dua-simpul-satu-3' };
const NODES: NodeName[] = ['a', 'b'];
/** Order received, payment received, provisioning started, server ready. */
const ORDER_EVENTS = ['order_placed', 'payment_received', 'provisioning_started', 'server_ready'];
// As console.spec.ts: the screen is 80 text cells wide and 16 pixels a row.
const COLUMNS = 80;
const CELL_HEIGHT = 16;

/** The first admin, made by the server's own command against the cluster's database. */
function ensureAdmin() {
  execFileSync(path.join(root, 'target/debug/server'), ['create-admin', '--email', ADMIN.email, '--password-stdin'], {
    cwd: root,
    input: `${ADMIN.password}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: cluster.databaseUrl, LEPTOS_OUTPUT_NAME: 'webrana', RUST_LOG: 'warn' },
  });
}

function sql(query: string): string {
  return execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', cluster.database, '-v', 'ON_ERROR_STOP=1', '-Atc', query])
    .toString()
    .trim();
}

/** A Prometheus metric of one node, summed over its series whose labels contain `labels`
 * (absent is 0). */
async function metric(node: NodeName, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(cluster.nodes[node].metrics)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    // Label values may hold braces themselves: `route="/ws/console/{instance}"`.
    const match = line.match(/^([A-Za-z_:][\w:]*)(\{.*\})?\s+(\S+)$/);
    if (match && match[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}

async function perNode(name: string, labels = ''): Promise<Record<NodeName, number>> {
  return { a: await metric('a', name, labels), b: await metric('b', name, labels) };
}

/** One request as HAProxy logged it (option httplog). */
type Hit = { node: string; status: number; method: string; path: string; line: string };

/** The access log's requests from byte `from` on. A request is logged once answered, a
 * WebSocket once it closes. */
function accessLog(from: number): Hit[] {
  const text = readFileSync(cluster.haproxyLog).subarray(from).toString();
  const hits: Hit[] = [];
  for (const line of text.split('\n')) {
    // `… web nodes/a 0/0/0/3/3 200 1234 - - ---- 1/1/0/0/0 0/0 "GET /servers HTTP/1.1"`
    const match = line.match(/ web (\S+) \S+ (-?\d+) .*"(\S+) (\S+) HTTP\/[\d.]+"$/);
    if (match) hits.push({ node: match[1], status: Number(match[2]), method: match[3], path: match[4], line });
  }
  return hits;
}

/** Leptos server functions are under `/api/`; our JSON API is `/api/v1/`. */
const isServerFn = (hit: Hit) => hit.path.startsWith('/api/') && !hit.path.startsWith('/api/v1/');
const nodeOf = (hit: Hit | undefined) => hit?.node.replace(/^nodes\//, '') ?? 'none';

/** The bell's unread badge as a number (no badge is 0). */
async function badge(page: Page) {
  const count = page.getByTestId('bell-count');
  if ((await count.count()) === 0) return 0;
  return Number((await count.innerText()).split(/\s/)[0]);
}

/** A second window of the customer's, left on "My servers" and never reloaded. */
type Watcher = {
  context: BrowserContext;
  page: Page;
  /** The node its bell's socket is held by. */
  node: NodeName;
  badgeBefore: number;
  /** Per socket, the notification ids it was sent, in order. */
  heard: number[][];
};

/** Live notification feeds open on the two nodes together. */
async function openFeeds() {
  const open = await perNode('notification_sockets_open');
  return open.a + open.b;
}

/** Opens a watching window once `feeds` feeds are open, and finds which node took its own. */
async function openWatcher(browser: Browser, storageState: Awaited<ReturnType<BrowserContext['storageState']>>, feeds: number): Promise<Watcher> {
  await expect.poll(openFeeds, { timeout: 15_000 }).toBe(feeds);
  const before = await perNode('notification_sockets_open');
  const context = await browser.newContext({ storageState });
  const page = await context.newPage();
  const heard: number[][] = [];
  page.on('websocket', (socket) => {
    if (!socket.url().includes('/ws/notifications')) return;
    const ids: number[] = [];
    heard.push(ids);
    socket.on('framereceived', ({ payload }) => {
      const text = String(payload);
      // Only notification messages matter here; anything else is left to the bell's own checks.
      if (text.includes('"notification"')) {
        const message = JSON.parse(text);
        if (message.type === 'notification') ids.push(message.notification.id);
      }
    });
  });
  await page.goto('/servers');
  await hydrated(page);
  await expect(page.getByTestId('bell-button')).toBeVisible();
  // Which node took the socket: the one whose count of open feeds went up (the other windows
  // hold theirs meanwhile).
  await expect.poll(openFeeds, { timeout: 15_000 }).toBe(feeds + 1);
  const now = await perNode('notification_sockets_open');
  const node = NODES.find((name) => now[name] === before[name] + 1)!;
  return { context, page, node, badgeBefore: await badge(page), heard };
}

/** Whether the canvas's top row holds lit pixels: something is drawn. */
async function screenDrawn(page: Page) {
  return page.getByTestId('console-canvas').evaluate(
    (canvas: HTMLCanvasElement, [columns, cellHeight]) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, (canvas.width / columns) * 40, cellHeight).data;
      for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 300) return true;
      return false;
    },
    [COLUMNS, CELL_HEIGHT],
  );
}

// What the nodes and the balancer said, next to a failure's screenshots.
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const file of [cluster.nodes.a.log, cluster.nodes.b.log, cluster.haproxyLog]) {
    await testInfo.attach(path.basename(file), { path: file, contentType: 'text/plain' });
  }
});

test('two nodes behind HAProxy serve one customer as one: order, payment, bell, console', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(300_000);
  const logFrom = statSync(cluster.haproxyLog).size;

  ensureAdmin();
  // The catalog syncs itself at start-up, so the first tries may find no sizes yet.
  const planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 75000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['debian-12-x64'],
  });
  // Sign-up, the verification link read by the admin in the outbox, log-in: each request to
  // whichever node the balancer picks.
  await verifiedCustomer(page, browser, CUSTOMER);

  // Windows that watch the bell, until each node holds one's socket: whichever node commits a
  // notification, some window hears it from the other node, through Redis. The customer's own
  // window holds one feed already (the admin's window is closed).
  const storageState = await page.context().storageState();
  const watchers: Watcher[] = [];
  const covered = () => NODES.every((node) => watchers.some((watcher) => watcher.node === node));
  while (watchers.length < 6 && !covered()) {
    // Each window's load is the same number of requests: with an even number, round-robin
    // would give every window's feed to the same node. One request more before every other
    // window shifts it.
    if (watchers.length % 2 === 0 && watchers.length > 0) expect((await request.get('/healthz')).status()).toBe(200);
    watchers.push(await openWatcher(browser, storageState, 1 + watchers.length));
  }
  expect(watchers.map((watcher) => watcher.node).sort()).toEqual(expect.arrayContaining(NODES));

  // The order, through the wizard.
  await page.goto(`/order?plan=${planId}`);
  await hydrated(page);
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'region');
  await page.getByTestId('choose-region').first().click();
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'image');
  await page.getByTestId('choose-image').filter({ hasText: 'Debian 12' }).click();
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'details');
  await page.getByLabel('Nama host').fill(HOST);
  await page.getByTestId('to-review').click();
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'review');
  await expect(page.getByTestId('price-total')).toContainText('Rp 83.250');
  await page.getByTestId('place-order').click();
  await expect(page).toHaveURL(/\/invoices\/\d+$/);
  await hydrated(page);
  const invoiceUrl = page.url();
  await expect(page.getByTestId('invoice').getByTestId('invoice-status')).toHaveAttribute('data-status', 'unpaid');

  // Paid with QRIS at the sandbox's checkout.
  await page.getByTestId('channels').getByLabel(/QRIS/).check();
  await page.getByTestId('pay').click();
  const open = page.getByTestId('open-payment');
  await expect(open.getByTestId('qris')).toBeVisible();
  const reference = await open.getAttribute('data-reference');
  expect(reference).toMatch(/^SBX-/);
  await page.getByTestId('checkout-link').click();
  await expect(page).toHaveURL(new RegExp(`/pay/sandbox/${reference}$`));
  await hydrated(page);
  await page.getByTestId('sandbox-pay').click();
  await expect(page).toHaveURL(invoiceUrl);
  await expect(page.getByTestId('invoice').getByTestId('invoice-status')).toHaveAttribute('data-status', 'paid');
  // Provisioning is a job on whichever node claims it; the order turns active when it is done.
  await expect(page.getByTestId('order-panel').getByTestId('order-status')).toHaveAttribute('data-status', 'active', { timeout: 90_000 });
  await shot(page, testInfo, 'invoice-paid-active');

  // Every watching window heard the four notifications live, each once, and its bell lists them.
  for (const watcher of watchers) {
    await expect.poll(() => badge(watcher.page), { timeout: 30_000 }).toBe(watcher.badgeBefore + ORDER_EVENTS.length);
    await watcher.page.getByTestId('bell-button').click();
    const menu = watcher.page.getByTestId('bell-menu');
    for (const event of ORDER_EVENTS) {
      await expect(menu.locator(`[data-testid=bell-item][data-event=${event}]`)).toHaveCount(1);
    }
    await expect(menu.locator('[data-testid=bell-item][data-event=server_ready]')).toContainText(`Server ${HOST} siap`);
    const live = watcher.heard.flat();
    expect(new Set(live).size, `window on node ${watcher.node} heard ${JSON.stringify(watcher.heard)}`).toBeGreaterThanOrEqual(ORDER_EVENTS.length);
    for (const ids of watcher.heard) expect(ids.length, `one socket heard ${JSON.stringify(ids)}`).toBe(new Set(ids).size);
    await shot(watcher.page, testInfo, `bell-live-node-${watcher.node}`);
  }

  // Exactly one server came of the order.
  await page.goto('/servers');
  await hydrated(page);
  const cards = page.getByTestId('server-list').locator('li');
  await expect(cards).toHaveCount(1);
  await expect(cards.first().getByTestId('server-status')).toHaveAttribute('data-status', 'running');
  await expect(cards.first()).toContainText(HOST);
  await shot(page, testInfo, 'servers-one');

  // The console: a ticket from one request, the socket in another, the VM's screen drawn.
  await cards.first().getByRole('link', { name: HOST }).click();
  await expect(page).toHaveURL(/\/servers\/\d+$/);
  await hydrated(page);
  await page.getByTestId('open-console').click();
  await expect(page).toHaveURL(/\/servers\/\d+\/console$/);
  await hydrated(page);
  const canvas = page.getByTestId('console-canvas');
  await expect(page.getByTestId('console-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(canvas).toHaveAttribute('data-width', /^(640|720)$/);
  await expect(canvas).toHaveAttribute('data-height', '400');
  await expect.poll(async () => Number(await canvas.getAttribute('data-frames')), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect.poll(() => screenDrawn(page), { timeout: 30_000 }).toBe(true);
  const consoleNodes = await perNode('console_sessions_open');
  expect(consoleNodes.a + consoleNodes.b).toBe(1);
  await shot(page, testInfo, 'console-screen');

  // Every job ran once: one order, one server at the provider and in the panel, one
  // provisioning finished across both nodes, four notifications, nothing retried or dead.
  expect(sql('SELECT count(*) FROM orders')).toBe('1');
  expect(sql('SELECT count(*) FROM instances')).toBe('1');
  expect(sql('SELECT count(*) FROM sandbox_servers')).toBe('1');
  expect(sql("SELECT count(*) FROM payments WHERE status = 'paid'")).toBe('1');
  const customerId = sql(`SELECT id FROM users WHERE email = '${CUSTOMER.email}'`);
  expect(sql(`SELECT event FROM notifications WHERE user_id = ${customerId} AND in_app ORDER BY id`).split('\n')).toEqual(ORDER_EVENTS);
  const provisioned = await perNode('provisioning_finished_total');
  expect(provisioned.a + provisioned.b).toBe(1);
  const placed = await perNode('orders_placed_total');
  expect(placed.a + placed.b).toBe(1);
  expect(sql("SELECT count(*) FROM jobs WHERE state = 'dead' OR attempts > 1 OR last_error IS NOT NULL")).toBe('0');

  // Sockets are logged when they close: close every window, then wait for a line for each
  // socket the nodes upgraded (each counts its requests by route).
  for (const watcher of watchers) await watcher.context.close();
  await page.close();
  const upgraded = await perNode('http_requests_total', 'route="/ws/');
  const isSocket = (hit: Hit) => hit.path.startsWith('/ws/');
  let hits: Hit[] = [];
  await expect
    .poll(
      () => {
        hits = accessLog(logFrom);
        return hits.filter(isSocket).length;
      },
      { timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(upgraded.a + upgraded.b);
  await testInfo.attach('haproxy.log', { path: cluster.haproxyLog, contentType: 'text/plain' });

  expect(hits.filter((hit) => hit.status >= 500).map((hit) => hit.line)).toEqual([]);
  expect(hits.filter((hit) => !/^nodes\/[ab]$/.test(hit.node)).map((hit) => hit.line)).toEqual([]);
  const served = (node: NodeName, which: (hit: Hit) => boolean = () => true) =>
    hits.filter((hit) => hit.node === `nodes/${node}` && which(hit));
  const sockets = (hit: Hit) => isSocket(hit) && hit.status === 101;
  for (const node of NODES) {
    expect(served(node).length, `requests served by node ${node}`).toBeGreaterThan(0);
    expect(served(node, isServerFn).length, `server functions served by node ${node}`).toBeGreaterThan(0);
    expect(served(node, sockets).length, `sockets upgraded by node ${node}`).toBeGreaterThan(0);
  }
  const ticket = hits.find((hit) => hit.method === 'POST' && hit.path === '/api/console/open');
  const consoleSocket = hits.find((hit) => hit.path.startsWith('/ws/console/'));
  expect(ticket?.status).toBe(200);
  expect(consoleSocket?.status).toBe(101);

  const count = (node: NodeName, which?: (hit: Hit) => boolean) => served(node, which).length;
  console.log(
    [
      `two-nodes: ${hits.length} requests through HAProxy; ` +
        NODES.map((node) => `node ${node}: ${count(node)} (${count(node, isServerFn)} server functions, ${count(node, sockets)} sockets)`).join(', '),
      `  console ticket (POST /api/console/open) on node ${nodeOf(ticket)}, console socket on node ${nodeOf(consoleSocket)}`,
      `  bell sockets of the watching windows on nodes ${watchers.map((watcher) => watcher.node).join(', ')}; ` +
        `all bell sockets: ` +
        NODES.map((node) => `node ${node} ${count(node, (hit) => hit.path.startsWith('/ws/notifications'))}`).join(', '),
      `  order placed on node ${placed.a ? 'a' : 'b'}, provisioning finished on node ${provisioned.a ? 'a' : 'b'}`,
    ].join('\n'),
  );
});
