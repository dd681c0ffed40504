// An admin gives a customer credit from the users page (a bad amount is explained and books
// nothing); the customer sees it on /billing, pays an invoice with it in one click, and the
// payment shows in the credit's history. In both languages and in dark mode.
import { expect, test } from '@playwright/test';
import { ADMIN, bearer, ensureAdmin, hydrated, logIn, planOnSale, setTheme, shot, verifiedCustomer } from './support';

const RUN = Date.now();
const PLAN = `Kredit ${RUN}`;
const PASSWORD = 'saldo-kredit-pelanggan-5';

let planId = 0;

test.beforeAll(async ({ request }) => {
  ensureAdmin();
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 50000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64'],
  });
});

test('an admin gives credit and the customer pays an invoice with it', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Yoga Kredit', email: `yoga-kredit-${RUN}@example.com`, password: PASSWORD });
  const headers = await bearer(request, customer);
  const placed = await request.post('/api/v1/orders', {
    headers,
    data: { plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname: `kredit-${RUN % 1_000_000}`, period_months: 1 },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const invoice = (await placed.json()).invoice as { id: number; number: string; total: number };

  // Nothing to pay with yet: the invoice offers no credit.
  await page.goto(`/invoices/${invoice.id}`);
  await hydrated(page);
  await expect(page.getByTestId('channels')).toBeVisible();
  await expect(page.getByTestId('credit-choice')).toHaveCount(0);

  const admin = await (await browser.newContext()).newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/dashboard$/);
  await admin.goto(`/admin/users?search=${encodeURIComponent(customer.email)}`);
  await hydrated(admin);
  const credit = admin.getByTestId('user-credit');
  await expect(credit.locator('summary')).toHaveText('Rp 0');
  await credit.locator('summary').click();
  await credit.locator('input[name=amount]').fill('-5000');
  await credit.locator('input[name=note]').fill('Coba');
  await credit.getByRole('button').click();
  await expect(admin.getByText('Saldo kredit tidak mencukupi.')).toBeVisible();
  await credit.locator('input[name=amount]').fill('100000');
  await credit.locator('input[name=note]').fill('Kompensasi gangguan jaringan');
  await credit.getByRole('button').click();
  await expect(credit.locator('summary')).toHaveText('Rp 100.000');
  await shot(admin, testInfo, 'admin-user-credit-id');
  await admin.context().close();

  // The customer's credit page, reached from the invoices list.
  await page.goto('/invoices');
  await hydrated(page);
  await page.getByTestId('credit-link').click();
  await expect(page).toHaveURL(/\/billing$/);
  await expect(page.getByTestId('credit-balance')).toHaveText('Rp 100.000');
  await expect(page.getByTestId('credit-entry')).toHaveCount(1);
  await expect(page.getByTestId('credit-entry').first()).toContainText('Kompensasi gangguan jaringan');
  await shot(page, testInfo, 'credit-page-id');

  // Paying the invoice with it, in one click.
  await page.goto(`/invoices/${invoice.id}`);
  await hydrated(page);
  const choice = page.getByTestId('credit-choice');
  await expect(choice).toContainText('Rp 100.000');
  await shot(page, testInfo, 'invoice-credit-choice-id');
  await choice.getByTestId('pay-with-credit').click();
  await expect(page.getByTestId('invoice-paid-notice')).toBeVisible();
  await expect(page.getByTestId('paid-at')).toContainText('credit');

  await page.goto('/billing');
  await hydrated(page);
  const rest = 100000 - invoice.total;
  await expect(page.getByTestId('credit-balance')).toHaveText(`Rp ${rest.toLocaleString('id-ID')}`);
  await expect(page.getByTestId('credit-entry').first()).toContainText('Pembayaran tagihan');
  await expect(page.getByTestId('credit-entry').first()).toContainText(invoice.number);
  // Renewals from credit: off until turned on, and back off.
  const renewals = page.getByTestId('renewals-from-credit');
  await expect(renewals).toHaveAttribute('data-on', 'false');
  await renewals.getByTestId('toggle-renewals-from-credit').click();
  await expect(renewals).toHaveAttribute('data-on', 'true');
  await expect(renewals).toContainText('dibayar dari kredit begitu terbit');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('credit-entry').first()).toContainText('Invoice payment');
  await expect(renewals).toContainText('paid from your credit as they are issued');
  await setTheme(page, true);
  await shot(page, testInfo, 'credit-page-dark-en');
  await setTheme(page, false);
  await renewals.getByTestId('toggle-renewals-from-credit').click();
  await expect(renewals).toHaveAttribute('data-on', 'false');
  await page.getByTestId('lang-id').click();
});

/// Pays the open invoice page through the sandbox's QRIS and comes back to it paid.
async function payInSandbox(page: import('@playwright/test').Page, amount: string) {
  const invoiceUrl = page.url();
  await page.getByTestId('channels').getByLabel(/QRIS/).check();
  await page.getByTestId('pay').click();
  const open = page.getByTestId('open-payment');
  await expect(open.getByTestId('payment-total')).toHaveText(amount);
  await page.getByTestId('checkout-link').click();
  await hydrated(page);
  await expect(page.getByTestId('sandbox-amount')).toHaveText(amount);
  await page.getByTestId('sandbox-pay').click();
  await expect(page).toHaveURL(invoiceUrl);
  await expect(page.getByTestId('invoice-paid-notice')).toBeVisible();
}

const rupiah = (amount: number) => `Rp ${amount.toLocaleString('id-ID')}`;

test('a customer tops up, pays part of an invoice from credit and the rest in the sandbox, and an admin refunds part to credit', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(150_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Wulan Isi Ulang', email: `wulan-topup-${RUN}@example.com`, password: PASSWORD });
  const headers = await bearer(request, customer);
  const placed = await request.post('/api/v1/orders', {
    headers,
    data: { plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname: `isi-${RUN % 1_000_000}`, period_months: 1 },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const { order, invoice } = (await placed.json()) as { order: { id: number }; invoice: { id: number; number: string; total: number } };

  // A top-up is an invoice of its own, for no order and without tax, paid like any other.
  await page.goto('/billing');
  await hydrated(page);
  await page.getByTestId('top-up-amount').fill('20000');
  await page.getByTestId('top-up-submit').click();
  await expect(page).toHaveURL(/\/invoices\/\d+$/);
  await hydrated(page);
  const topUp = page.getByTestId('invoice');
  await expect(topUp).toContainText('Isi ulang kredit');
  await expect(topUp.getByTestId('invoice-total')).toContainText('Rp 20.000');
  await expect(topUp).not.toContainText('Pesanan');
  await expect(page.getByTestId('credit-choice')).toHaveCount(0);
  await shot(page, testInfo, 'top-up-invoice-id');
  await payInSandbox(page, 'Rp 20.000');
  await page.goto('/billing');
  await hydrated(page);
  await expect(page.getByTestId('credit-balance')).toHaveText('Rp 20.000');
  await expect(page.getByTestId('credit-entry').first()).toContainText('Isi ulang');

  // The credit does not cover the order's invoice: it pays part, a channel the rest.
  await page.goto(`/invoices/${invoice.id}`);
  await hydrated(page);
  const choice = page.getByTestId('credit-choice');
  await expect(choice).toContainText('tidak menutup seluruhnya');
  await choice.getByTestId('pay-with-credit').click();
  await expect(page.getByTestId('invoice-credit-applied')).toContainText('-Rp 20.000');
  await expect(page.getByTestId('invoice-amount-due')).toContainText(rupiah(invoice.total - 20000));
  await expect(page.getByTestId('credit-choice')).toHaveCount(0);
  await shot(page, testInfo, 'invoice-part-credit-id');
  await payInSandbox(page, rupiah(invoice.total - 20000));
  await expect(page.getByTestId('invoice-amount-due')).toHaveCount(0);
  await expect(page.getByTestId('invoice-credit-applied')).toContainText('-Rp 20.000');

  // An admin gives part of the paid invoice back as credit.
  const admin = await (await browser.newContext()).newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/dashboard$/);
  await admin.goto(`/admin/orders/${order.id}`);
  await hydrated(admin);
  const refund = admin.getByTestId(`invoice-${invoice.number}`).getByTestId('refund-to-credit-form');
  // More than was paid is refused by the field itself before anything is sent.
  await refund.locator('input[name=amount]').fill(String(invoice.total + 1));
  await refund.locator('input[name=note]').fill('Terlalu banyak');
  await refund.getByRole('button', { name: 'Kembalikan ke kredit' }).click();
  expect(await refund.locator('input[name=amount]').evaluate((input: HTMLInputElement) => input.validity.rangeOverflow)).toBe(true);
  await expect(admin.getByTestId('order-events')).not.toContainText('Terlalu banyak');
  await refund.locator('input[name=amount]').fill('5000');
  await refund.locator('input[name=note]').fill('Gangguan jaringan 2 jam');
  await refund.getByRole('button', { name: 'Kembalikan ke kredit' }).click();
  await expect(admin.getByTestId('order-events')).toContainText('Gangguan jaringan 2 jam');
  await expect(admin.getByTestId(`invoice-${invoice.number}`).getByTestId('invoice-status')).toHaveAttribute('data-status', 'paid');
  await shot(admin, testInfo, 'admin-refund-to-credit-id');
  await admin.context().close();

  await page.goto('/billing');
  await hydrated(page);
  await expect(page.getByTestId('credit-balance')).toHaveText('Rp 5.000');
  await expect(page.getByTestId('credit-entry').first()).toContainText('Pengembalian dana');
  await expect(page.getByTestId('credit-entry').first()).toContainText('Gangguan jaringan 2 jam');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('credit-entry').first()).toContainText('Refund');
  await expect(page.getByTestId('top-up')).toContainText('Create top-up invoice');
  await setTheme(page, true);
  await shot(page, testInfo, 'credit-top-up-dark-en');
  await setTheme(page, false);
  await page.getByTestId('lang-id').click();
});
