// The notification bell and page: one customer with two windows open; window A pays an order in
// the sandbox and window B's bell shows "payment received" and then "server ready" without a
// reload, over the live connection. Then marking read, the notifications page, and the settings.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { ensureAdmin, hydrated, planOnSale, setTheme, shot, verifiedCustomer } from './support';

const RUN = Date.now();
const PLAN = `Notify ${RUN}`;
const PASSWORD = 'lonceng-berbunyi-9';
const HOST = `lonceng-${RUN % 1_000_000}`;

let planId = 0;

/** A bearer token; given the browser's User-Agent, the log-in is not news of a new device. */
async function token(request: APIRequestContext, email: string, password: string, userAgent?: string) {
  const headers = userAgent ? { 'User-Agent': userAgent } : undefined;
  const login = await request.post('/api/v1/auth/login', { data: { email, password }, headers });
  expect(login.status(), await login.text()).toBe(200);
  return (await login.json()).access_token as string;
}

test.beforeAll(async ({ request }) => {
  ensureAdmin();
  // The catalog syncs itself at start-up, so the first tries may find no sizes yet.
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 50000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64'],
  });
});

/** The bell's unread badge as a number (no badge is 0). */
async function badge(page: Page) {
  const count = page.getByTestId('bell-count');
  if ((await count.count()) === 0) return 0;
  return Number((await count.innerText()).split(/\s/)[0]);
}

test('a payment in one window rings the bell in another, live; read, page and settings', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Wulan Sari', email: `wulan-notify-${RUN}@example.com`, password: PASSWORD });

  // Window B: the same login in a second browser context, left open on the servers page.
  const contextB = await browser.newContext({ storageState: await page.context().storageState() });
  const windowB = await contextB.newPage();
  await windowB.goto('/servers');
  await hydrated(windowB);
  await expect(windowB.getByTestId('bell-button')).toBeVisible();
  const before = await badge(windowB);

  // The order is placed through the API with the customer's own token, then paid in window A.
  const bearer = { Authorization: `Bearer ${await token(request, customer.email, customer.password, await page.evaluate(() => navigator.userAgent))}` };
  const placed = await request.post('/api/v1/orders', {
    headers: bearer,
    data: { plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname: HOST, period_months: 1 },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const invoiceId = (await placed.json()).invoice.id as number;
  // "Order received" arrives live first.
  await expect.poll(() => badge(windowB), { timeout: 15_000 }).toBe(before + 1);

  const payment = await request.post(`/api/v1/invoices/${invoiceId}/payments`, { headers: bearer, data: { channel: 'QRIS' } });
  expect(payment.status(), await payment.text()).toBe(201);
  const reference = (await payment.json()).reference as string;
  await page.goto(`/pay/sandbox/${reference}`);
  await hydrated(page);
  await page.getByTestId('sandbox-pay').click();
  await expect(page).toHaveURL(new RegExp(`/invoices/${invoiceId}$`));

  // Window B was never reloaded: its bell lists "payment received", then "server ready".
  await expect.poll(() => badge(windowB), { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 2);
  await windowB.getByTestId('bell-button').click();
  const menu = windowB.getByTestId('bell-menu');
  await expect(menu.locator('[data-testid=bell-item][data-event=payment_received]')).toContainText('Pembayaran diterima');
  await expect(menu.locator('[data-testid=bell-item][data-event=server_ready]')).toContainText(`Server ${HOST} siap`, { timeout: 60_000 });
  // Order received, payment received, provisioning started, server ready.
  await expect.poll(() => badge(windowB)).toBe(before + 4);
  await expect(menu.getByTestId('bell-item').first()).toHaveAttribute('data-event', 'server_ready');
  await expect(menu.locator('[data-testid=bell-item][data-read=false]')).toHaveCount(4);
  await shot(windowB, testInfo, 'bell-open-light-id');
  await setTheme(windowB, true);
  await windowB.getByTestId('lang-en').click();
  await expect(menu.getByTestId('bell-see-all')).toHaveText('See all notifications');
  await shot(windowB, testInfo, 'bell-open-dark-en');
  await setTheme(windowB, false);
  await windowB.getByTestId('lang-id').click();

  // Choosing one marks it read and opens what it is about.
  await menu.locator('[data-testid=bell-item][data-event=server_ready]').locator('a').click();
  await expect(windowB).toHaveURL(/\/servers\/\d+$/);
  await expect.poll(() => badge(windowB)).toBe(before + 3);
  // Window A hears that too, through its own connection.
  await page.goto('/orders');
  await hydrated(page);
  await expect.poll(() => badge(page)).toBe(before + 3);

  // "Mark all read" clears the badge, in both windows.
  await windowB.getByTestId('bell-button').click();
  await expect(menu.locator('[data-testid=bell-item][data-event=server_ready]')).toHaveAttribute('data-read', 'true');
  await menu.getByTestId('bell-mark-all').click();
  await expect(windowB.getByTestId('bell-count')).toHaveCount(0);
  await expect(menu.locator('[data-testid=bell-item][data-read=false]')).toHaveCount(0);
  await expect(page.getByTestId('bell-count')).toHaveCount(0);

  // "See all" opens the notifications page, which lists them all, read.
  await menu.getByTestId('bell-see-all').click();
  await expect(windowB).toHaveURL(/\/notifications$/);
  await hydrated(windowB);
  const list = windowB.getByTestId('notifications-list');
  await expect(list.locator('[data-testid=notification][data-event=payment_received]')).toContainText('Pembayaran diterima');
  await expect(list.locator('[data-testid=notification][data-event=server_ready]')).toBeVisible();
  await expect(list.locator('[data-testid=notification][data-event=order_placed]')).toBeVisible();
  await expect(list.locator('[data-testid=notification][data-read=false]')).toHaveCount(0);
  await expect(list.getByTestId('notifications-mark-all')).toBeDisabled();
  await shot(windowB, testInfo, 'notifications-page-id');
  await windowB.getByTestId('lang-en').click();
  await expect(windowB.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  await shot(windowB, testInfo, 'notifications-page-en');
  await windowB.getByTestId('lang-id').click();
  await contextB.close();

  // Settings: a customer sees no admin row; security in the app cannot be turned off; a change
  // is kept after a reload.
  await page.goto('/notifications');
  await hydrated(page);
  const settings = page.getByTestId('notification-settings');
  await expect(settings.getByTestId('pref-billing-email')).toBeChecked();
  await expect(settings.getByTestId('pref-security-in_app')).toBeChecked();
  await expect(settings.getByTestId('pref-security-in_app')).toBeDisabled();
  await expect(settings.locator('[data-testid^=pref-admin-]')).toHaveCount(0);
  // What the customer does on a server's page shows in the app, and by e-mail only if asked.
  await expect(settings).toContainText('Tindakan pada server saya');
  await expect(settings.getByTestId('pref-actions-in_app')).toBeChecked();
  await expect(settings.getByTestId('pref-actions-email')).not.toBeChecked();
  await settings.getByTestId('pref-billing-email').uncheck();
  await expect(settings.getByTestId('form-notice')).toHaveText('Pengaturan disimpan.');
  await page.reload();
  await hydrated(page);
  await expect(settings.getByTestId('pref-billing-email')).not.toBeChecked();
  await expect(settings.getByTestId('pref-billing-in_app')).toBeChecked();
  await expect(settings.getByTestId('telegram')).toBeVisible();
  await shot(page, testInfo, 'notification-settings-id');
  await setTheme(page, true);
  await page.getByTestId('lang-en').click();
  await expect(settings.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await shot(page, testInfo, 'notification-settings-en-dark');
  await setTheme(page, false);
  await page.getByTestId('lang-id').click();
});

test('a visitor sees no bell and is asked to log in on the notifications page', async ({ page }) => {
  await page.goto('/notifications');
  await hydrated(page);
  await expect(page.getByTestId('bell')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Masuk' }).last()).toBeVisible();
});
