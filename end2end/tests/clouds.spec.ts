// The real cloud adapters end to end: with a local mock standing in for DigitalOcean, Vultr and
// Linode (../mock-clouds.ts), an admin syncs each cloud's catalog, prices one of its sizes as a
// plan and provisions a server for a customer from /admin/servers; the server boots to
// "running" with its IPv4, the customer sees it on /servers, reads the root password once (from
// where each provider's rules put it) and runs power actions on it.
//
// This file starts its own mock and its own app server (with the three providers switched on),
// so the other files keep a sandbox-only catalog.
import { expect, test } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMockClouds, type MockClouds, type Provider } from '../mock-clouds';
import { act, ADMIN, hydrated, logIn, root, shot, signUp } from './support';

// A free port, picked on the first load of this file and carried to the workers through the
// environment (as playwright.config.ts does), so `test.use` below can name the address.
if (!process.env.E2E_CLOUDS_PORT) {
  process.env.E2E_CLOUDS_PORT = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ])
    .toString()
    .trim();
}
const BASE = `http://127.0.0.1:${process.env.E2E_CLOUDS_PORT}`;
test.use({ baseURL: BASE });
// One app server and one mock for the whole file; the tests share them, one after the other.
test.describe.configure({ mode: 'serial' });

const TOKENS: Record<Provider, string> = {
  digitalocean: 'dop_v1_4f1c2e9a7b3d5e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f',
  vultr: 'VKX7Q2M9PL4RT8WZ3NB6HJ5CY1DG0FSA',
  linode: '9c0e7d1f3a5b8c2e4d6f0a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d2e4f6a8b0c1d',
};

/** What each cloud's fixtures look like once the adapter has read them, as the UI shows it. */
interface Cloud {
  provider: Provider;
  region: { slug: string; name: string };
  size: { slug: string; memoryMb: string; regions: number };
  /** `provider/slug` as the images table prints it, and the adapter's name for it. */
  image: { row: string; name: string };
  /** Entries the adapter must leave out (applications, ISOs, deprecated or private images). */
  notImages: string[];
  /** Actions the provider cannot do, listed under the buttons with the reason. */
  unsupported: string[];
  customer: { name: string; email: string; password: string };
  hostname: string;
  /** The root password this provider's rules say the customer must get. */
  expectedPassword(mock: MockClouds): string;
}

const stamp = Date.now();

const CLOUDS: Cloud[] = [
  {
    provider: 'digitalocean',
    region: { slug: 'sgp1', name: 'Singapore 1' },
    // Offered in sgp1, blr1 and syd1; sfo1 is listed but closed, and offers nothing.
    size: { slug: 's-1vcpu-2gb', memoryMb: '2048', regions: 3 },
    image: { row: 'digitalocean/ubuntu-24-04-x64', name: 'Ubuntu 24.04 (LTS) x64' },
    notImages: ['digitalocean/docker-24-04'],
    unsupported: ['reset_password'],
    customer: { name: 'Budi Santoso', email: `budi-${stamp}@example.com`, password: 'kopi-tubruk-pagi-7' },
    hostname: 'toko-budi',
    // DigitalOcean never returns a password: ours went to the droplet in cloud-init user_data.
    expectedPassword(mock) {
      const [droplet] = mock.servers('digitalocean');
      const userData = String(droplet.user_data);
      expect(userData.startsWith('#cloud-config\n')).toBe(true);
      const config = JSON.parse(userData.slice('#cloud-config\n'.length));
      const rootUser = config.chpasswd.users.find((user: { name: string }) => user.name === 'root');
      expect(config.chpasswd.list).toEqual([`root:${rootUser.password}`]);
      return rootUser.password;
    },
  },
  {
    provider: 'vultr',
    region: { slug: 'sgp', name: 'Singapore' },
    size: { slug: 'vc2-1c-2gb', memoryMb: '2048', regions: 3 },
    image: { row: 'vultr/2136', name: 'Debian 12 x64 (bookworm)' },
    notImages: ['vultr/159', 'vultr/164', 'vultr/180', 'vultr/186'],
    unsupported: ['shutdown', 'reset_password'],
    customer: { name: 'Sari Dewi', email: `sari-${stamp}@example.com`, password: 'kopi-tubruk-pagi-7' },
    hostname: 'api-sari',
    // Vultr chooses the password and returns it once, as `default_password` in the create answer.
    expectedPassword(mock) {
      const [instance] = mock.servers('vultr');
      return String(instance.default_password);
    },
  },
  {
    provider: 'linode',
    region: { slug: 'id-cgk', name: 'Jakarta, ID' },
    // Every region that hosts Linodes, the one in an outage included (shown, not ticked).
    size: { slug: 'g6-standard-1', memoryMb: '2048', regions: 4 },
    image: { row: 'linode/linode/ubuntu24.04', name: 'Ubuntu 24.04 LTS' },
    notImages: ['linode/linode/centos7', 'linode/private/3141592'],
    unsupported: [],
    customer: { name: 'Wayan Putra', email: `wayan-${stamp}@example.com`, password: 'kopi-tubruk-pagi-7' },
    hostname: 'db-wayan',
    // Linode takes ours as `root_pass` on create.
    expectedPassword(mock) {
      const [linode] = mock.servers('linode');
      return (linode.root_passwords as string[])[0];
    },
  },
];

let mock: MockClouds;
let app: ChildProcess | undefined;
let dataDir: string;
/** The app server's output, kept with the test results (the data folder is removed). */
let logFile: string;

function serverLog(): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs the server binary to completion, feeding it `input`. */
function runServer(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, 'target/debug/server'), args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`server ${args[0]} exited ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}

test.beforeAll(async ({}, testInfo) => {
  test.setTimeout(90_000);
  // pageCap 2: every catalog list comes in several pages, so the adapters must follow them.
  mock = await startMockClouds({ tokens: TOKENS, bootMs: 2000, actionMs: 1500, pageCap: 2 });
  dataDir = mkdtempSync(path.join(tmpdir(), 'webrana-e2e-clouds-'));

  // The same environment as the main webServer in playwright.config.ts, plus the three clouds.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: process.env.E2E_CLOUDS_PORT,
    DATABASE_URL: `sqlite://${path.join(dataDir, 'clouds.db')}`,
    LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
    LEPTOS_OUTPUT_NAME: 'webrana',
    PUBLIC_URL: BASE,
    SANDBOX_CREATE_SECS: '2',
    SANDBOX_ACTION_SECS: '1',
    RUST_LOG: 'warn',
    DIGITALOCEAN_TOKEN: TOKENS.digitalocean,
    DIGITALOCEAN_API_URL: mock.apiUrls.digitalocean,
    VULTR_API_KEY: TOKENS.vultr,
    VULTR_API_URL: mock.apiUrls.vultr,
    LINODE_API_TOKEN: TOKENS.linode,
    LINODE_API_URL: mock.apiUrls.linode,
    // Real clouds with the sandbox's payments: only when asked for on purpose.
    PAYMENT_GATEWAY: 'sandbox',
  };
  // Left at its default (on), whatever the shell running the tests says.
  delete env.SANDBOX_PROVIDER;

  mkdirSync(testInfo.project.outputDir, { recursive: true });
  logFile = path.join(testInfo.project.outputDir, 'clouds-server.log');
  const log = openSync(logFile, 'w');
  app = spawn(path.join(root, 'target/debug/server'), ['serve'], { cwd: root, env, stdio: ['ignore', log, log] });
  // The child has its own copy of the descriptor.
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => app!.on('exit', resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${BASE}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('waiting'), 250))]);
    if (code !== 'waiting') throw new Error(`the app server exited (${code}) before it was ready:\n${serverLog()}`);
    if (Date.now() > deadline) throw new Error(`the app server was not ready within 60 s:\n${serverLog()}`);
  }

  await runServer(['create-admin', '--email', ADMIN.email, '--password-stdin'], env, `${ADMIN.password}\n`);
});

test.afterAll(async () => {
  if (app && app.exitCode === null) {
    const exited = new Promise((resolve) => app!.on('exit', resolve));
    app.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!stopped) app.kill('SIGKILL');
  }
  await mock?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('each cloud refuses a request without its token, in its own error shape', async () => {
  const refusals: Array<[string, unknown]> = [
    [`${mock.apiUrls.digitalocean}/v2/regions`, { id: 'unauthorized', message: expect.any(String) }],
    [`${mock.apiUrls.vultr}/regions`, { error: expect.any(String), status: 401 }],
    [`${mock.apiUrls.linode}/regions`, { errors: [{ reason: expect.any(String) }] }],
  ];
  for (const [url, body] of refusals) {
    const missing = await fetch(url);
    expect(missing.status, url).toBe(401);
    expect(await missing.json()).toEqual(body);
    const wrong = await fetch(url, { headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrong.status, url).toBe(401);
  }
});

for (const cloud of CLOUDS) {
  test(`${cloud.provider}: an admin provisions a server for a customer, who runs it`, async ({ page, browser }, testInfo) => {
    test.setTimeout(240_000);
    const { provider } = cloud;
    const plan = `${provider} 2 GB ${stamp}`;
    await signUp(page, cloud.customer.name, cloud.customer.email, cloud.customer.password);

    const adminContext = await browser.newContext({ baseURL: BASE });
    const admin = await adminContext.newPage();
    await logIn(admin, ADMIN.email, ADMIN.password);
    await expect(admin).toHaveURL(/\/dashboard$/);

    // "Sync now" reads the mock's catalog again, page by page.
    const before = mock.requests.length;
    await admin.goto('/admin/regions');
    await hydrated(admin);
    await admin.getByTestId('sync-now').click();
    await expect(admin.getByTestId('form-notice')).toContainText('Sinkronisasi dijadwalkan');
    const region = admin.getByTestId(`region-${cloud.region.slug}`);
    await expect(async () => {
      await admin.getByTestId('reload').click();
      await expect(region).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await expect(region).toContainText(provider);
    await expect(region).toContainText(cloud.region.name);
    await expect
      .poll(() => mock.requests.slice(before).filter((r) => r.provider === provider && r.method === 'GET').length, { timeout: 20_000 })
      // Regions, sizes and images in pages of two: at least two pages of each.
      .toBeGreaterThanOrEqual(6);
    await shot(admin, testInfo, `admin-regions-${provider}`);

    await admin.goto('/admin/images');
    await hydrated(admin);
    // Matched on the whole `provider/slug` cell: `vultr/186` is not to match `vultr/1869`.
    const images = admin.getByTestId('images-table');
    const imageCell = (row: string) => admin.getByRole('cell', { name: row, exact: true });
    await expect(images.getByRole('row').filter({ has: imageCell(cloud.image.row) })).toContainText(cloud.image.name);
    // The same locator finds a listed image, so the absences below are not vacuous.
    await expect(images.locator(imageCell(cloud.image.row))).toHaveCount(1);
    for (const missing of cloud.notImages) {
      await expect(images.locator(imageCell(missing))).toHaveCount(0);
    }

    // A plan from one of the cloud's sizes: choosing it fills the specs and its regions.
    await admin.goto('/admin/plans');
    await hydrated(admin);
    await admin.getByTestId('new-plan').click();
    const form = admin.getByTestId('plan-form');
    await form.getByLabel('Nama paket').fill(plan);
    await form.getByLabel('Ukuran dari provider').selectOption(`${provider}/${cloud.size.slug}`);
    await expect(form.getByLabel('RAM (MB)')).toHaveValue(cloud.size.memoryMb);
    await expect(form.getByTestId('plan-regions').getByRole('checkbox')).toHaveCount(cloud.size.regions);
    await expect(form.getByTestId('plan-regions')).toContainText(cloud.region.name);
    await expect(form.getByTestId('plan-images')).toContainText(cloud.image.name);
    await form.getByLabel('Harga per bulan (Rp)').fill('150000');
    await shot(admin, testInfo, `admin-plan-form-${provider}`);
    await form.getByRole('button', { name: 'Simpan paket' }).click();
    await expect(admin).toHaveURL(/\/admin\/plans$/);
    const row = admin.getByTestId('plans-table').getByRole('row', { name: new RegExp(plan) });
    await expect(row).toContainText(`${provider}/${cloud.size.slug}`);
    await expect(row).toContainText('Rp 150.000');
    await expect(row).toContainText('Dijual');

    // Provision for the customer, with no order.
    await admin.goto('/admin/servers');
    await hydrated(admin);
    const provision = admin.getByTestId('provision-form');
    await provision.locator('summary').click();
    await provision.getByLabel('E-mail pelanggan').fill(cloud.customer.email);
    await provision.getByLabel('Paket').selectOption({ label: plan });
    await provision.getByLabel('Lokasi').selectOption({ label: cloud.region.name });
    await provision.getByLabel('Sistem operasi').selectOption({ label: cloud.image.name });
    await provision.getByLabel('Nama host').fill(cloud.hostname);
    await provision.getByRole('button', { name: 'Buat server' }).click();
    await expect(provision.getByTestId('form-notice')).toContainText('Pembuatan server dimulai');
    await expect(admin.getByTestId('servers-table')).toContainText(cloud.customer.email);

    // It boots at the mock cloud; the customer's list follows it to "running" with the address.
    await expect.poll(() => mock.servers(provider).length, { timeout: 20_000 }).toBe(1);
    await logIn(page, cloud.customer.email, cloud.customer.password);
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.getByTestId('servers-link').click();
    await expect(page).toHaveURL(/\/servers$/);
    const card = page.getByTestId('server-list').locator('li').filter({ hasText: cloud.hostname });
    await expect(card.getByTestId('server-status')).toHaveAttribute('data-status', 'running', { timeout: 40_000 });
    const ipv4 = ipv4Of(mock.servers(provider)[0], provider);
    await expect(card).toContainText(ipv4);
    await expect(card).toContainText(plan);
    await shot(page, testInfo, `my-servers-${provider}`);

    await card.getByRole('link', { name: cloud.hostname }).click();
    await hydrated(page);
    await expect(page.getByTestId('server-hostname')).toHaveText(cloud.hostname);
    await expect(page.getByTestId('ipv4')).toHaveText(ipv4);
    await expect(page.getByText(provider, { exact: true })).toBeVisible();
    await expect(page.getByTestId('sandbox-notice')).toHaveCount(0);
    await expect(page.getByTestId('server-events')).toContainText('Server siap');
    // What the provider cannot do is disabled and explained.
    await expect(page.getByTestId('action-reasons').locator('li')).toHaveCount(cloud.unsupported.length);
    for (const kind of cloud.unsupported) {
      await expect(page.locator(`button[data-action="${kind}"]`)).toBeDisabled();
    }

    // The root password, from where this provider's rules put it, is shown once.
    await page.getByTestId('reveal-password').click();
    await expect(page.getByTestId('root-password')).toHaveText(cloud.expectedPassword(mock));
    await shot(page, testInfo, `server-ready-${provider}`);
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('reveal-password')).toHaveCount(0);
    assertCreateRequest(cloud, mock);

    // Power actions go through the provider's own API and come back done.
    await act(page, 'reboot', 'running', 30_000);
    await act(page, 'power_off', 'stopped', 30_000);
    if (provider === 'linode') {
      // Linode resets a root password only on a stopped Linode, and takes the new one from us.
      await act(page, 'reset_password', 'stopped', 30_000);
      await page.getByTestId('reveal-password').click();
      const passwords = mock.servers('linode')[0].root_passwords as string[];
      expect(passwords).toHaveLength(2);
      await expect(page.getByTestId('root-password')).toHaveText(passwords[1]);
    }
    await act(page, 'power_on', 'running', 30_000);
    await expect(page.getByTestId('server-events')).toContainText('Tindakan selesai');
    await shot(page, testInfo, `server-after-actions-${provider}`);
    assertActionRequests(cloud, mock);

    // The admin's list shows it running, with its address.
    await admin.goto('/admin/servers');
    await hydrated(admin);
    const adminRow = admin.getByTestId('servers-table').getByRole('row').filter({ hasText: cloud.hostname });
    await expect(adminRow.getByTestId('server-status')).toHaveAttribute('data-status', 'running');
    await expect(adminRow).toContainText(ipv4);
    await expect(adminRow).toContainText(provider);
    await shot(admin, testInfo, `admin-servers-${provider}`);
    await adminContext.close();
  });
}

/** The public IPv4 the mock gave the server, read from the provider's own shape. */
function ipv4Of(server: Record<string, unknown>, provider: Provider): string {
  if (provider === 'digitalocean') {
    const v4 = (server.networks as { v4: Array<{ ip_address: string; type: string }> }).v4;
    return v4.find((network) => network.type === 'public')!.ip_address;
  }
  if (provider === 'vultr') return String(server.main_ip);
  return (server.ipv4 as string[])[0];
}

/** What the adapter sent to create the server, checked against the provider's rules. */
function assertCreateRequest(cloud: Cloud, mock: MockClouds) {
  const creates = mock.requests.filter(
    (r) => r.provider === cloud.provider && r.method === 'POST' && /^\/(v2\/droplets|instances|linode\/instances)$/.test(r.path),
  );
  // Sent once: the provisioning job looks the label up before it would ever send it again.
  expect(creates).toHaveLength(1);
  const [create] = creates;
  expect(create.status).toBeLessThan(300);
  const body = create.body as Record<string, unknown>;
  if (cloud.provider === 'digitalocean') {
    expect(body).toMatchObject({ name: cloud.hostname, region: cloud.region.slug, size: cloud.size.slug, image: 'ubuntu-24-04-x64' });
    expect(Object.keys(body)).not.toContain('password');
  } else if (cloud.provider === 'vultr') {
    expect(body).toMatchObject({ region: cloud.region.slug, plan: cloud.size.slug, os_id: 2136, hostname: cloud.hostname });
    // Vultr cannot take a password of ours.
    expect(Object.keys(body).filter((key) => key.includes('pass'))).toEqual([]);
  } else {
    expect(body).toMatchObject({ region: cloud.region.slug, type: cloud.size.slug, image: 'linode/ubuntu24.04', booted: true });
    expect(body.root_pass).toEqual(expect.any(String));
  }
}

/** The power calls the adapter made, in each provider's own terms. */
function assertActionRequests(cloud: Cloud, mock: MockClouds) {
  const calls = mock.requests.filter((r) => r.provider === cloud.provider && r.method === 'POST' && r.status < 300);
  if (cloud.provider === 'digitalocean') {
    const types = calls.filter((r) => r.path.endsWith('/actions')).map((r) => (r.body as { type: string }).type);
    expect(types).toEqual(['reboot', 'power_off', 'power_on']);
    // Followed through their action ids.
    expect(mock.requests.some((r) => r.provider === 'digitalocean' && /^\/v2\/actions\/\d+$/.test(r.path))).toBe(true);
    expect(mock.servers('digitalocean')[0]).toMatchObject({ status: 'active', locked: false });
  } else if (cloud.provider === 'vultr') {
    const verbs = calls.map((r) => r.path.split('/').pop()).filter((verb) => verb !== 'instances');
    expect(verbs).toEqual(['reboot', 'halt', 'start']);
    expect(mock.servers('vultr')[0]).toMatchObject({ status: 'active', power_status: 'running', server_status: 'ok' });
  } else {
    const commands = calls.map((r) => r.path.split('/').pop()).filter((command) => command !== 'instances');
    expect(commands).toEqual(['reboot', 'shutdown', 'password', 'boot']);
    // Followed through the account's events.
    expect(mock.requests.some((r) => r.provider === 'linode' && r.path === '/account/events')).toBe(true);
    expect(mock.servers('linode')[0]).toMatchObject({ status: 'running' });
  }
}
