// A business customer adds their company, address and NPWP on the account page; their unpaid
// invoice prints them at once, and the invoice's PDF, made on the server, says the same. In both
// languages and in dark mode.
import { expect, test } from '@playwright/test';
import { bearer, ensureAdmin, hydrated, planOnSale, setTheme, shot, verifiedCustomer } from './support';

const RUN = Date.now();
const PLAN = `Faktur ${RUN}`;
const PASSWORD = 'faktur-pajak-perusahaan-7';

let planId = 0;

test.beforeAll(async ({ request }) => {
  ensureAdmin();
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 90000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64'],
  });
});

test('billing details reach the unpaid invoice and its PDF', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Rina Faktur', email: `rina-faktur-${RUN}@example.com`, password: PASSWORD });
  const headers = await bearer(request, customer);
  const placed = await request.post('/api/v1/orders', {
    headers,
    data: { plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname: `faktur-${RUN % 1_000_000}`, period_months: 1 },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const invoice = (await placed.json()).invoice as { id: number; number: string };

  await page.goto('/account');
  await hydrated(page);
  const form = page.getByTestId('billing-details');
  await form.locator('input[name=company]').fill('PT Awan Nusantara');
  await form.locator('textarea[name=address]').fill('Jl. Gatot Subroto 12\nJakarta Selatan 12930');
  await form.locator('input[name=npwp]').fill('01.234.567');
  await form.getByRole('button').click();
  await expect(form.getByTestId('form-error')).toHaveText('Masukkan NPWP 15 digit (01.234.567.8-901.000) atau 16 digit.');
  await shot(page, testInfo, 'billing-details-refused-id');

  await form.locator('input[name=npwp]').fill('012345678901000');
  await form.getByRole('button').click();
  await expect(form.getByTestId('form-notice')).toBeVisible();
  // Saved as the tax office writes it, and still there after a reload.
  await page.reload();
  await hydrated(page);
  await expect(form.locator('input[name=npwp]')).toHaveValue('01.234.567.8-901.000');
  await expect(form.locator('textarea[name=address]')).toHaveValue('Jl. Gatot Subroto 12\nJakarta Selatan 12930');
  await shot(page, testInfo, 'billing-details-saved-id');

  // The invoice not yet paid prints them.
  await page.goto(`/invoices/${invoice.id}`);
  await hydrated(page);
  await expect(page.getByTestId('customer-company')).toHaveText('PT Awan Nusantara');
  await expect(page.getByTestId('customer-address')).toContainText('Jakarta Selatan 12930');
  await expect(page.getByTestId('customer-npwp')).toHaveText('01.234.567.8-901.000');
  await shot(page, testInfo, 'invoice-billing-details-id');

  // The download link gives the PDF, made on the server for the signed-in reader.
  const link = page.getByTestId('download-pdf');
  await expect(link).toHaveAttribute('href', `/invoices/${invoice.id}.pdf`);
  const pdf = await page.request.get(`/invoices/${invoice.id}.pdf`);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect(pdf.headers()['content-disposition']).toBe(`inline; filename="${invoice.number}.pdf"`);
  const bytes = await pdf.body();
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  // What it says is read with pdftotext in the server's tests; here, that it is a whole document.
  expect(bytes.subarray(-6).toString()).toContain('%%EOF');

  await page.getByTestId('lang-en').click();
  await expect(link).toHaveText('Download PDF');
  await setTheme(page, true);
  await shot(page, testInfo, 'invoice-billing-details-dark-en');
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId('billing-details')).toContainText('15 digits (01.234.567.8-901.000) or the 16-digit NPWP.');
  await shot(page, testInfo, 'billing-details-dark-en');
  await setTheme(page, false);
  await page.getByTestId('lang-id').click();
});
