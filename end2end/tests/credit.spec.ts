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
  await expect(admin).toHaveURL(/\/account$/);
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
