// Server status, live: a customer has a server's page open in window A and powers the server off
// from window B; window A shows it stopped without a reload, the moment the action's
// notification arrives over the bell's connection. An idle server page polls nothing at all, and
// the list polls every 10 s while the connection is open, so only the live feed can be that quick.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { ADMIN, bearer, ensureAdmin, hydrated, logIn, planOnSale, requestAction, shot, signUp } from './support';

const RUN = Date.now();
const PLAN = `Live ${RUN}`;
const CUSTOMER = { name: 'Rina Wulandari', email: `rina-live-${RUN}@example.com`, password: 'status-langsung-5' };
const HOST = `langsung-${RUN % 1_000_000}`;
/** Below the pages' polling while the live connection is open (every 10 s). */
const LIVE = { timeout: 8_000 };

let admin = { Authorization: '' };
let planId = 0;

test.beforeAll(async ({ request }) => {
  ensureAdmin();
  admin = await bearer(request, ADMIN);
  // The catalog syncs itself at start-up, so the first tries may find no sizes yet.
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 60000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64'],
  });
});

/** The admin provisions a server for `email` and waits until it runs; answers its id. */
async function runningServer(request: APIRequestContext, email: string) {
  const users = await request.get(`/api/v1/admin/users?search=${encodeURIComponent(email)}`, { headers: admin });
  const userId = (await users.json())[0].id as number;
  const provisioned = await request.post('/api/v1/admin/instances', {
    headers: admin,
    data: { user_id: userId, plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname: HOST },
  });
  expect(provisioned.status(), await provisioned.text()).toBe(202);
  const id = (await provisioned.json()).id as number;
  await expect
    .poll(async () => {
      const found = await request.get(`/api/v1/admin/instances?search=${HOST}`, { headers: admin });
      return ((await found.json()) as { id: number; status: string }[]).find((server) => server.id === id)?.status;
    }, { timeout: 30_000 })
    .toBe('running');
  return id;
}

/** Marks the page, so a later check can tell it was never reloaded. */
async function mark(page: Page) {
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
}

async function notReloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
}

test('a power-off in one window shows in another at once, without a reload', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(120_000);
  await signUp(page, CUSTOMER.name, CUSTOMER.email, CUSTOMER.password);
  const id = await runningServer(request, CUSTOMER.email);

  // Window A: the server's page, running and idle.
  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto(`/servers/${id}`);
  await hydrated(page);
  const badgeA = page.getByTestId('server-status');
  await expect(badgeA).toHaveAttribute('data-status', 'running');
  await expect(badgeA).not.toContainText('…');
  await mark(page);

  // Window B: the same customer, elsewhere, powers it off.
  const contextB = await browser.newContext({ storageState: await page.context().storageState() });
  const windowB = await contextB.newPage();
  await windowB.goto(`/servers/${id}`);
  await hydrated(windowB);
  await requestAction(windowB, 'power_off');
  await expect(windowB.getByTestId('server-status')).toContainText('…');

  // Window A shows it stopped, its history says so, and its bell has the notification.
  await expect(badgeA).toHaveAttribute('data-status', 'stopped', LIVE);
  await expect(badgeA).toHaveText('Mati');
  await expect(page.getByTestId('server-events')).toContainText('Tindakan selesai — Matikan paksa');
  await expect(page.locator('button[data-action="power_on"]')).toBeEnabled();
  await expect(page.getByTestId('bell-count')).toBeVisible();
  await notReloaded(page);
  await shot(page, testInfo, 'live-status-stopped-id');

  // The list, reached in the app (the connection stays), hears the power-on the same way.
  await page.getByTestId('servers-link').click();
  await expect(page).toHaveURL(/\/servers$/);
  const card = page.getByTestId('server-list').locator('li').filter({ hasText: HOST });
  await expect(card.getByTestId('server-status')).toHaveAttribute('data-status', 'stopped');
  await expect(windowB.locator('button[data-action="power_on"]')).toBeEnabled();
  await windowB.locator('button[data-action="power_on"]').click();
  await expect(card.getByTestId('server-status')).toHaveAttribute('data-status', 'running', LIVE);
  await notReloaded(page);
  await shot(page, testInfo, 'live-status-list-running-id');
  await contextB.close();
});
