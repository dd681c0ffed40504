// A customer decides about their own orders on the order page: cancels one not paid yet, turns
// auto-renew off and on for a running service, and ends it now by typing its host name, in
// both languages and in dark mode.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { ensureAdmin, hydrated, planOnSale, setTheme, shot, verifiedCustomer } from './support';

const RUN = Date.now();
const PLAN = `Self ${RUN}`;
const PASSWORD = 'atur-sendiri-layanan-3';
const HOST = `mandiri-${RUN % 1_000_000}`;

let planId = 0;

test.beforeAll(async ({ request }) => {
  ensureAdmin();
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 60000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64'],
  });
});

async function bearer(request: APIRequestContext, email: string) {
  const login = await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  return { Authorization: `Bearer ${(await login.json()).access_token}` };
}

/** Places an order for `hostname` through the API: its order and invoice ids. */
async function place(request: APIRequestContext, headers: Record<string, string>, hostname: string) {
  const placed = await request.post('/api/v1/orders', {
    headers,
    data: { plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname, period_months: 1 },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const body = await placed.json();
  return { order: body.order.id as number, invoice: body.invoice.id as number };
}

test('a customer cancels an unpaid order, turns auto-renew off and on, and ends a service now', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Dewi Mandiri', email: `dewi-self-${RUN}@example.com`, password: PASSWORD });
  const headers = await bearer(request, customer.email);

  // An order not paid yet: one button, and the invoice is cancelled with it.
  const unpaid = await place(request, headers, `${HOST}-x`);
  await page.goto(`/orders/${unpaid.order}`);
  await hydrated(page);
  const choices = page.getByTestId('service-choices');
  await expect(choices).toContainText('tagihannya dibatalkan dan tidak perlu dibayar');
  await shot(page, testInfo, 'order-cancel-unpaid-id');
  await choices.getByTestId('cancel-order').click();
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('order-events')).toContainText('dibatalkan oleh Anda');
  await expect(page.getByTestId('service-choices')).toHaveCount(0);
  await expect(page.getByTestId('pay-link')).toHaveCount(0);

  // A running service, paid in the sandbox.
  const running = await place(request, headers, HOST);
  const payment = await request.post(`/api/v1/invoices/${running.invoice}/payments`, { headers, data: { channel: 'QRIS' } });
  expect(payment.status(), await payment.text()).toBe(201);
  const paid = await request.post(`/api/v1/payments/sandbox/${(await payment.json()).reference}`, { headers, data: { outcome: 'pay' } });
  expect(paid.status(), await paid.text()).toBeLessThan(300);
  await page.goto(`/orders/${running.order}`);
  await hydrated(page);
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'active', { timeout: 60_000 });
  await page.reload();
  await hydrated(page);

  // Auto-renew off: said what happens at the end of the period; and back on.
  await expect(page.getByTestId('auto-renew')).toHaveAttribute('data-on', 'true');
  await page.getByTestId('toggle-auto-renew').click();
  await expect(page.getByTestId('auto-renew')).toHaveAttribute('data-on', 'false');
  await expect(page.getByTestId('auto-renew-text')).toContainText('layanan berakhir dan servernya dihapus');
  await expect(page.getByTestId('order-events')).toContainText('perpanjangan otomatis dimatikan');
  await shot(page, testInfo, 'order-auto-renew-off-id');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('auto-renew-text')).toContainText('the service ends and its server is deleted');
  await setTheme(page, true);
  await shot(page, testInfo, 'order-auto-renew-off-dark-en');
  await setTheme(page, false);
  await page.getByTestId('toggle-auto-renew').click();
  await expect(page.getByTestId('auto-renew')).toHaveAttribute('data-on', 'true');
  await expect(page.getByTestId('order-events')).toContainText('auto-renew turned on');
  await page.getByTestId('lang-id').click();

  // Ending it now takes the host name: a wrong one is refused and changes nothing.
  const cancelNow = page.getByTestId('cancel-now');
  await cancelNow.locator('summary').click();
  await expect(cancelNow).toContainText('Sisa masa yang sudah dibayar tidak dikembalikan');
  await cancelNow.getByTestId('cancel-confirm').fill('web-lain');
  await cancelNow.getByTestId('cancel-service').click();
  await expect(cancelNow.getByTestId('form-error')).toHaveText('Ketik nama host server dengan tepat untuk mengonfirmasi.');
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'active');
  await shot(page, testInfo, 'order-cancel-now-refused-id');
  await cancelNow.getByTestId('cancel-confirm').fill(HOST);
  await cancelNow.getByTestId('cancel-service').click();
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('order-events')).toContainText('dibatalkan oleh Anda');
  await shot(page, testInfo, 'order-cancelled-id');

  // Its server goes: the servers page shows it deleted (or being deleted) soon after.
  await page.goto('/servers');
  await hydrated(page);
  await expect(page.getByText(HOST).first()).toBeVisible();
});
