// A customer moves a running service to a bigger plan from its order page: picks the plan with
// what it costs for the rest of the period, pays the invoice, and watches the server change, in
// both languages and in dark mode.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { ADMIN, bearer as adminBearer, ensureAdmin, hydrated, setTheme, shot, verifiedCustomer } from './support';

const RUN = Date.now();
const SMALL = `Kecil ${RUN}`;
const BIG = `Besar ${RUN}`;
const PASSWORD = 'ganti-paket-server-5';
const HOST = `tumbuh-${RUN % 1_000_000}`;

let smallId = 0;

// One admin log-in makes both plans: the suite's admin log-ins share one rate limit.
test.beforeAll(async ({ request }) => {
  ensureAdmin();
  const headers = await adminBearer(request, ADMIN);
  const plan = { provider: 'sandbox', region_slugs: ['sbx-jkt1'], image_slugs: ['ubuntu-24-04-x64'] };
  for (const [name, size_slug, price_idr_monthly] of [[SMALL, 'sbx-1c-1g', 60000], [BIG, 'sbx-2c-2g', 120000]] as const) {
    const created = await request.post('/api/v1/admin/plans', { headers, data: { ...plan, name, size_slug, price_idr_monthly } });
    expect(created.status(), await created.text()).toBe(201);
    if (name === SMALL) smallId = (await created.json()).id;
  }
});

async function bearer(request: APIRequestContext, email: string) {
  const login = await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  return { Authorization: `Bearer ${(await login.json()).access_token}` };
}

/** Pays the invoice through the sandbox gateway, as its checkout's "Pay" would. */
async function paySandbox(request: APIRequestContext, headers: Record<string, string>, invoice: number) {
  const payment = await request.post(`/api/v1/invoices/${invoice}/payments`, { headers, data: { channel: 'QRIS' } });
  expect(payment.status(), await payment.text()).toBe(201);
  const paid = await request.post(`/api/v1/payments/sandbox/${(await payment.json()).reference}`, { headers, data: { outcome: 'pay' } });
  expect(paid.status(), await paid.text()).toBeLessThan(300);
}

test('a customer moves a running service to a bigger plan and pays the rest of the period', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Rina Tumbuh', email: `rina-resize-${RUN}@example.com`, password: PASSWORD });
  const headers = await bearer(request, customer.email);
  const placed = await request.post('/api/v1/orders', {
    headers,
    data: { plan_id: smallId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname: HOST, period_months: 1 },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const { order, invoice } = await placed.json();
  await paySandbox(request, headers, invoice.id);

  await page.goto(`/orders/${order.id}`);
  await hydrated(page);
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'active', { timeout: 60_000 });
  await page.reload();
  await hydrated(page);

  // The bigger plan, with what the rest of the period costs now.
  const resize = page.getByTestId('resize');
  await expect(resize).toContainText('Ganti paket');
  const big = resize.locator('li', { has: page.locator(`[data-plan="${BIG}"]`) });
  await expect(big.getByTestId('resize-price')).toContainText('sekarang');
  await expect(resize.getByTestId('resize-days')).toContainText('hari');
  await shot(page, testInfo, 'resize-options-id');
  await big.locator('input[type=radio]').check();
  await resize.getByTestId('resize-submit').click();

  // The invoice for it opens; paying it starts the resize.
  await expect(page).toHaveURL(/\/invoices\/\d+$/);
  const resizeInvoice = Number(page.url().split('/').pop());
  await hydrated(page);
  await expect(page.getByText('Ganti paket').first()).toBeVisible();
  await paySandbox(request, headers, resizeInvoice);

  await page.goto(`/orders/${order.id}`);
  await hydrated(page);
  await expect(page.getByTestId('resize-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('order-events')).toContainText(`paket diganti menjadi ${BIG}`);
  await expect(page.getByTestId('resize-latest')).toContainText(`${SMALL} → ${BIG}`);
  await shot(page, testInfo, 'resize-done-id');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('resize-status')).toHaveText('Done');
  await expect(page.getByTestId('order-events')).toContainText(`plan changed to ${BIG}`);
  await setTheme(page, true);
  await shot(page, testInfo, 'resize-done-dark-en');
  await setTheme(page, false);

  // The server page shows the new plan.
  await page.goto('/servers');
  await hydrated(page);
  await expect(page.locator('li', { hasText: HOST })).toContainText(`${BIG} · 2 vCPU · 2 GB RAM`);
});
