// The landing page's hero: a real screenshot of our own customer dashboard, never a mock-up.
//
// It starts the built server (target/debug/server with target/site) on a free loopback port with
// a fresh SQLite database in a temporary folder, fills it with demo data the way an operator and
// a customer would (the first admin from `server create-admin`, plans priced through the API, a
// customer who signs up, verifies the address through the dev outbox and orders three servers
// that are paid in the sandbox checkout), then photographs "/servers" in headless Debian
// Chromium, light and dark, in Bahasa Indonesia, and writes WebP at five widths. (The list, not
// a server's page: that one carries the sandbox's "simulated server" notice, right for the app,
// wrong for a picture of what customers get.)
//
// Everything runs against the embedded defaults (the sandbox cloud and the sandbox payment
// gateway), so nothing leaves the machine. The facts (environment, labels, test ids) are those of
// the browser tests in end2end/; when those change, this script changes with them.
//
//   node scripts/landing-assets/hero.mjs   (writes public/images/landing/dashboard-*.webp)

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'public/images/landing');
const serverBin = path.join(root, 'target/debug/server');
const siteRoot = path.join(root, 'target/site');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// 1280 × 800 CSS pixels at 1.5 device pixels each: a 1920 × 1200 (16:10) master.
const VIEWPORT = { width: 1280, height: 800 };
const SCALE = 1.5;
const MASTER = { width: VIEWPORT.width * SCALE, height: VIEWPORT.height * SCALE };
const WIDTHS = [1920, 1280, 960, 720, 640];

const ADMIN = { email: 'admin@webrana.test', password: 'ruang-server-aman-1' };
const CUSTOMER = { name: 'Sari Wulandari', email: 'sari.wulandari@example.com', password: 'nasi-uduk-pagi-hari-9' };
const IMAGES = ['ubuntu-24-04-x64', 'debian-12-x64', 'almalinux-9-x64', 'rockylinux-9-x64'];
const REGIONS = { 'sbx-jkt1': 'Jakarta 1', 'sbx-sgp1': 'Singapore 1' };
const PLANS = [
  { name: 'Hemat', size_slug: 'sbx-1c-1g', price_idr_monthly: 65000 },
  { name: 'Pro', size_slug: 'sbx-2c-2g', price_idr_monthly: 130000, discount_3m_percent: 5, discount_12m_percent: 15 },
  { name: 'Bisnis', size_slug: 'sbx-2c-4g', price_idr_monthly: 260000, discount_3m_percent: 5, discount_12m_percent: 15 },
];
// The list shows the newest server first, so the one to lead the picture is ordered last.
const SERVERS = [
  { hostname: 'staging-sg', plan: 'Hemat', region: 'sbx-sgp1', image: 'debian-12-x64', period_months: 1 },
  { hostname: 'db-utama', plan: 'Bisnis', region: 'sbx-jkt1', image: 'rockylinux-9-x64', period_months: 12 },
  { hostname: 'web-jakarta-01', plan: 'Pro', region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', period_months: 12 },
];

function fail(message) {
  console.error(`hero: ${message}`);
  process.exit(1);
}

async function preflight() {
  if (!existsSync(serverBin)) fail(`${path.relative(root, serverBin)} is missing: build the app first (cargo leptos build).`);
  const pkg = path.join(siteRoot, 'pkg');
  const files = existsSync(pkg) ? await readdir(pkg) : [];
  if (!files.some((f) => f.endsWith('.wasm'))) fail(`${path.relative(root, pkg)} has no .wasm: build the app first (cargo leptos build).`);
  if (!existsSync(chromiumPath)) fail(`no Chromium at ${chromiumPath}: run scripts/setup --browser (or set CHROMIUM_PATH).`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tries `attempt` until it returns something truthy, or gives up after `ms` saying `what`. */
async function until(what, ms, attempt) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

// Everything the run starts, so that one cleanup can stop it however the run ends.
const state = { server: null, browser: null, dataDir: null, log: [] };

async function cleanup() {
  await state.browser?.close().catch(() => {});
  state.browser = null;
  const server = state.server;
  state.server = null;
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    const exited = new Promise((resolve) => server.once('exit', resolve));
    if ((await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) === false) server.kill('SIGKILL');
  }
  if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
  state.dataDir = null;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await cleanup();
    process.exit(130);
  });
}

async function startServer() {
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  state.dataDir = mkdtempSync(path.join(tmpdir(), 'webrana-landing-'));
  // Only what the run needs: a developer's shell or .env with real provider or gateway keys must
  // not turn a demo into real servers and real invoices. The temporary folder as working
  // directory keeps the server away from the repository's .env for the same reason.
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? state.dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite://${path.join(state.dataDir, 'demo.db')}`,
    LEPTOS_SITE_ROOT: siteRoot,
    LEPTOS_OUTPUT_NAME: 'webrana',
    PUBLIC_URL: baseURL,
    SANDBOX_PROVIDER: 'on',
    // A brisk sandbox, so the three servers are running within seconds.
    SANDBOX_CREATE_SECS: '2',
    SANDBOX_ACTION_SECS: '1',
    SELLER_LEGAL_NAME: 'PT Webrana Awan Nusantara',
    SELLER_ADDRESS: 'Jl. Jenderal Sudirman Kav. 1\nJakarta Pusat 10220',
    SELLER_NPWP: '01.234.567.8-901.000',
    RUST_LOG: 'warn',
  };
  const server = spawn(serverBin, ['serve'], { cwd: state.dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  state.server = server;
  for (const stream of [server.stdout, server.stderr]) {
    stream.on('data', (chunk) => state.log.push(chunk.toString()));
  }
  await until('the server to answer /readyz', 60_000, async () => {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    const answer = await fetch(`${baseURL}/readyz`);
    return answer.ok;
  });
  return { baseURL, env };
}

/** The first admin, made as an operator would, with the server's own command. */
function createAdmin(env) {
  execFileSync(serverBin, ['create-admin', '--email', ADMIN.email, '--password-stdin'], {
    cwd: state.dataDir,
    env,
    input: `${ADMIN.password}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function api(baseURL) {
  const call = async (method, route, token, body) => {
    const answer = await fetch(`${baseURL}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`${method} ${route} answered ${answer.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    token: async (who) => (await call('POST', '/api/v1/auth/login', null, who)).access_token,
    get: (route, token) => call('GET', route, token),
    post: (route, token, body) => call('POST', route, token, body),
  };
}

async function hydrated(page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 30_000 });
}

async function newPage(browser, baseURL, theme) {
  const context = await browser.newContext({ baseURL, viewport: VIEWPORT, deviceScaleFactor: SCALE, locale: 'id-ID' });
  // The site's own preference cookies: Bahasa Indonesia (its default) and the theme to show.
  await context.addCookies([
    { name: 'lang', value: 'id', url: baseURL },
    { name: 'theme', value: theme, url: baseURL },
  ]);
  return context.newPage();
}

async function logIn(page, who) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Kata sandi').fill(who.password);
  await page.getByRole('button', { name: 'Masuk' }).last().click();
  await page.waitForURL(/\/account$/);
}

/** Names the sandbox regions the way the landing page talks about them (not "Sandbox …"). */
async function nameRegions(admin) {
  await admin.goto('/admin/regions');
  await hydrated(admin);
  for (const [slug, name] of Object.entries(REGIONS)) {
    const row = admin.getByTestId(`region-${slug}`);
    await row.getByLabel('Nama tampilan').fill(name);
    await row.getByLabel('Aktif').check();
    await row.getByRole('button', { name: 'Simpan' }).click();
    await admin.getByTestId('form-notice').filter({ hasText: 'Tersimpan.' }).first().waitFor();
    await admin.reload();
    await hydrated(admin);
  }
}

async function signUpAndVerify(customer, admin) {
  await customer.goto('/signup');
  await hydrated(customer);
  await customer.getByLabel('Nama lengkap').fill(CUSTOMER.name);
  await customer.getByLabel('E-mail').fill(CUSTOMER.email);
  await customer.getByLabel('Kata sandi').fill(CUSTOMER.password);
  await customer.getByRole('button', { name: 'Daftar' }).last().click();
  await customer.getByTestId('form-notice').waitFor();
  // No SMTP is configured, so the confirmation mail waits in the dev outbox admins can read.
  await admin.goto(`/admin/outbox?to=${encodeURIComponent(CUSTOMER.email)}`);
  const mail = admin.getByTestId('outbox').locator('li').first();
  await mail.filter({ hasText: 'Konfirmasi e-mail Anda' }).waitFor();
  const body = await mail.locator('pre').innerText();
  const link = body.match(/https?:\/\/\S+\/verify-email\?token=\S+/)?.[0];
  if (!link) throw new Error(`no verification link in the outbox mail:\n${body}`);
  await customer.goto(link);
  await customer.getByTestId('form-notice').filter({ hasText: 'terverifikasi' }).waitFor();
}

async function seed(baseURL, browser) {
  const http = api(baseURL);
  const adminToken = await http.token(ADMIN);
  // The catalog syncs itself at start-up; until it has, the sizes are unknown and plans refused.
  const plans = {};
  for (const plan of PLANS) {
    const created = await until(`plan ${plan.name}`, 30_000, () =>
      http.post('/api/v1/admin/plans', adminToken, {
        provider: 'sandbox',
        region_slugs: Object.keys(REGIONS),
        image_slugs: IMAGES,
        ...plan,
      }),
    );
    plans[plan.name] = created.id;
  }

  const admin = await newPage(browser, baseURL, 'light');
  await logIn(admin, ADMIN);
  await nameRegions(admin);
  const customer = await newPage(browser, baseURL, 'light');
  await signUpAndVerify(customer, admin);
  await admin.context().close();
  await customer.context().close();

  // Each server is ordered, invoiced and paid the way the wizard and the sandbox checkout do it.
  const token = await http.token(CUSTOMER);
  for (const server of SERVERS) {
    const placed = await http.post('/api/v1/orders', token, {
      plan_id: plans[server.plan],
      region: server.region,
      image: server.image,
      hostname: server.hostname,
      period_months: server.period_months,
    });
    const payment = await http.post(`/api/v1/invoices/${placed.invoice.id}/payments`, token, { channel: 'QRIS' });
    await http.post(`/api/v1/payments/sandbox/${payment.reference}`, token, { outcome: 'pay' });
  }
  await until('three running servers', 90_000, async () => {
    const servers = await http.get('/api/v1/instances', token);
    const failed = servers.find((s) => s.status === 'failed' || s.status === 'error');
    if (failed) throw new Error(`${failed.hostname} is ${failed.status}: ${failed.status_message}`);
    return servers.length === SERVERS.length && servers.every((s) => s.status === 'running' && s.ipv4);
  });
  await until('three active orders', 30_000, async () => {
    const orders = await http.get('/api/v1/orders', token);
    return orders.length === SERVERS.length && orders.every((o) => o.status === 'active');
  });
  return token;
}

/**
 * A dozen unread notices (order placed, paid, server ready, a login from a new device) would put
 * a loud red badge on the bell; a customer who has read them is the calmer picture. Workers send
 * some a moment later, so this reads them until a few quiet seconds pass.
 */
async function readNotifications(http, token) {
  await until('the notifications to settle', 30_000, async () => {
    await http.post('/api/v1/notifications/read-all', token, {});
    await sleep(2000);
    return (await http.get('/api/v1/notifications/unread-count', token)).unread === 0;
  });
}

async function photograph(baseURL, browser, theme, token) {
  const page = await newPage(browser, baseURL, theme);
  await logIn(page, CUSTOMER);
  await readNotifications(api(baseURL), token);
  await page.goto('/servers');
  await hydrated(page);
  const list = page.getByTestId('server-list');
  await list.waitFor();
  await until(`every server shown running (${theme})`, 30_000, async () => {
    const statuses = await list.getByTestId('server-status').evaluateAll((badges) =>
      badges.map((b) => `${b.dataset.status}|${b.textContent}`),
    );
    return statuses.length === SERVERS.length && statuses.every((s) => s.startsWith('running|') && !s.includes('…'));
  });
  const dark = await page.evaluate(() => document.documentElement.classList.contains('dark'));
  if (dark !== (theme === 'dark')) throw new Error(`the page is not in the ${theme} theme`);
  const alerts = await page.locator('[role="alert"]:visible').allInnerTexts();
  if (alerts.some((text) => text.trim())) throw new Error(`the page shows an error: ${alerts.join(' / ')}`);
  await page.evaluate(() => document.fonts.ready);
  await page.mouse.move(VIEWPORT.width - 1, VIEWPORT.height - 1);
  const png = await page.screenshot({ animations: 'disabled', caret: 'hide', clip: { x: 0, y: 0, ...VIEWPORT } });
  await page.context().close();

  // Exactly 16:10 at 1920 × 1200 whatever the browser rounded to.
  const master = await sharp(png).resize(MASTER.width, MASTER.height, { fit: 'cover', position: 'top' }).png().toBuffer();
  const written = [];
  for (const width of WIDTHS) {
    const height = Math.round((width * 10) / 16);
    const file = path.join(out, `dashboard-${theme}-${width}.webp`);
    const info = await sharp(master)
      .resize(width, height, { kernel: 'lanczos3' })
      .webp({ quality: 80, effort: 6, smartSubsample: true })
      .toFile(file);
    written.push(`${path.relative(root, file)}  ${info.width}x${info.height}  ${(info.size / 1024).toFixed(1)} KB`);
  }
  return written;
}

async function main() {
  await preflight();
  await mkdir(out, { recursive: true });
  try {
    const { baseURL, env } = await startServer();
    createAdmin(env);
    state.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const token = await seed(baseURL, state.browser);
    for (const theme of ['light', 'dark']) {
      for (const line of await photograph(baseURL, state.browser, theme, token)) console.log(line);
    }
  } catch (error) {
    const log = state.log.join('').trim();
    if (log) console.error(`--- server log ---\n${log.slice(-4000)}\n---`);
    throw error;
  } finally {
    await cleanup();
  }
}

await main();
