// An admin syncs the catalog, names a region "Jakarta" and prices a sandbox size as a plan; a
// visitor who is not signed in finds it on /plans in rupiah, in both languages and themes.
import { expect, test } from '@playwright/test';
import { ADMIN, ensureAdmin, hydrated, logIn, shot } from './support';

const PLAN = `Pro 2 GB ${Date.now()}`;

test.beforeAll(ensureAdmin);

test('an admin prices a sandbox size and visitors see it on /plans', async ({ page, browser }, testInfo) => {
  test.setTimeout(90_000);
  await logIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/dashboard$/);

  // Sync now queues a job; the worker runs it within seconds and "Reload" shows the result.
  await page.goto('/admin/regions');
  await hydrated(page);
  await page.getByTestId('sync-now').click();
  await expect(page.getByTestId('form-notice')).toContainText('Sinkronisasi dijadwalkan');
  const jakarta = page.getByTestId('region-sbx-jkt1');
  await expect(async () => {
    await page.getByTestId('reload').click();
    await expect(jakarta).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await jakarta.getByLabel('Nama tampilan').fill('Jakarta');
  await jakarta.getByLabel('Aktif').check();
  await jakarta.getByRole('button', { name: 'Simpan' }).click();
  await expect(page.getByTestId('form-notice').last()).toHaveText('Tersimpan.');
  await expect(page.getByTestId('region-sbx-jkt1').getByLabel('Nama tampilan')).toHaveValue('Jakarta');
  await shot(page, testInfo, 'admin-regions-id');

  await page.goto('/admin/images');
  await hydrated(page);
  await expect(page.getByTestId('image-ubuntu-24-04-x64')).toContainText('Ubuntu 24.04 LTS');
  await expect(page.getByTestId('image-sandbox-broken').getByTestId('test-image')).toHaveText('image uji');
  await expect(page.getByTestId('image-ubuntu-24-04-x64').getByTestId('test-image')).toHaveCount(0);
  await shot(page, testInfo, 'admin-images-id');

  // A plan from the 2 vCPU / 2 GB size: choosing the size fills its specs and regions.
  await page.goto('/admin/plans');
  await hydrated(page);
  await page.getByTestId('new-plan').click();
  const form = page.getByTestId('plan-form');
  await form.getByLabel('Nama paket').fill(PLAN);
  await form.getByLabel('Ukuran dari provider').selectOption('sandbox/sbx-2c-2g');
  await expect(form.getByLabel('RAM (MB)')).toHaveValue('2048');
  await expect(form.getByTestId('plan-regions').getByRole('checkbox')).toHaveCount(3);
  await expect(form.getByTestId('plan-regions')).toContainText('Jakarta');
  await form.getByLabel('Transfer (GB)').fill('1000');
  await form.getByLabel('Harga per bulan (Rp)').fill('150000');
  await form.getByLabel('Diskon 12 bulan (%)').fill('15');
  await form.getByLabel('Sandbox Tokyo 1').uncheck();
  // The image that always fails is marked and left out unless ticked.
  await expect(form.getByLabel('Broken image')).not.toBeChecked();
  await expect(form.getByTestId('plan-images').getByTestId('test-image')).toHaveText('image uji');
  await expect(form.getByLabel('Ubuntu 24.04 LTS')).toBeChecked();
  await shot(page, testInfo, 'admin-plan-form-id');
  await form.getByRole('button', { name: 'Simpan paket' }).click();
  await expect(page).toHaveURL(/\/admin\/plans$/);
  const row = page.getByTestId('plans-table').getByRole('row', { name: new RegExp(PLAN) });
  await expect(row).toContainText('Rp 150.000');
  await expect(row).toContainText('Dijual');

  // The same name twice is refused with a message, not stored.
  await page.getByTestId('new-plan').click();
  await form.getByLabel('Nama paket').fill(PLAN);
  await form.getByLabel('Harga per bulan (Rp)').fill('90000');
  await form.getByRole('button', { name: 'Simpan paket' }).click();
  await expect(form.locator('..').getByTestId('form-error')).toHaveText('Sudah ada paket dengan nama ini.');
  // A refused form keeps what was typed.
  await expect(form.getByLabel('Nama paket')).toHaveValue(PLAN);
  await expect(form.getByLabel('Harga per bulan (Rp)')).toHaveValue('90000');
  await shot(page, testInfo, 'admin-plan-error-id');
  await page.getByRole('link', { name: 'Batal' }).click();
  await expect(page.getByTestId('plans-table').getByRole('row', { name: new RegExp(PLAN) })).toHaveCount(1);

  // Editing opens the plan as it was saved.
  await row.getByRole('link', { name: 'Ubah' }).click();
  await expect(form.getByLabel('Nama paket')).toHaveValue(PLAN);
  await expect(form.getByLabel('Transfer (GB)')).toHaveValue('1000');
  await expect(form.getByLabel('Sandbox Tokyo 1')).not.toBeChecked();
  await expect(form.getByLabel('Broken image')).not.toBeChecked();
  await form.getByLabel('Diskon 6 bulan (%)').fill('10');
  await form.getByRole('button', { name: 'Simpan paket' }).click();
  await expect(page).toHaveURL(/\/admin\/plans$/);
  await expect(page.getByTestId('form-notice')).toHaveText('Tersimpan.');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await shot(page, testInfo, 'admin-plans-dark-id');
  await page.getByTestId('lang-en').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Plans');
  await shot(page, testInfo, 'admin-plans-dark-en');

  // A visitor, not signed in.
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto('/plans');
  await hydrated(visitor);
  await expect(visitor.getByRole('heading', { level: 1 })).toHaveText('Paket & harga');
  const card = visitor.getByTestId('plan-card').filter({ hasText: PLAN });
  await expect(card.getByTestId('plan-price')).toHaveText('Rp 150.000');
  // Prices are before PPN, and say so.
  await expect(card).toContainText('/bulan + PPN');
  await expect(card).toContainText('Rp 1.530.000');
  await expect(card).toContainText('hemat 15%');
  await expect(card).toContainText('Rp 810.000');
  await expect(card.getByTestId('plan-regions')).toHaveText(/Jakarta/);
  await expect(card.getByTestId('plan-regions')).not.toContainText('Tokyo');
  await expect(card.getByTestId('plan-images')).toContainText('Ubuntu 24.04 LTS');
  await expect(card.getByTestId('plan-images')).not.toContainText('Broken');
  await shot(visitor, testInfo, 'plans-light-id');
  await visitor.getByTestId('theme-toggle').click();
  await expect(visitor.locator('html')).toHaveClass(/dark/);
  await shot(visitor, testInfo, 'plans-dark-id');
  await visitor.getByTestId('lang-en').click();
  await expect(visitor.getByRole('heading', { level: 1 })).toHaveText('Plans & pricing');
  await expect(card).toContainText('/month + VAT (PPN)');
  await expect(card).toContainText('save 15%');
  await shot(visitor, testInfo, 'plans-dark-en');
  await visitor.getByTestId('theme-toggle').click();
  await expect(visitor.locator('html')).not.toHaveClass(/dark/);
  await shot(visitor, testInfo, 'plans-light-en');
  await visitorContext.close();
});
