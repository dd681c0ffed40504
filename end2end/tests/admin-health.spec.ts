// An admin opens the health page from the admin menu and reads, each with its badge: the
// database, Redis, payment callbacks, e-mail and Telegram, the cloud providers (the sandbox's
// catalog sync at start-up is on record) and the job queue. Screenshots in both languages and
// themes.
import { expect, test } from '@playwright/test';
import { ADMIN, ensureAdmin, hydrated, logIn, shot } from './support';

test.beforeAll(ensureAdmin);

test('an admin reads how the platform is doing on the health page', async ({ page }, testInfo) => {
  await logIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin/users');
  await hydrated(page);
  await page.getByRole('link', { name: 'Kesehatan', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/health$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kesehatan');

  for (const section of ['health-overall', 'health-database', 'health-redis', 'health-payments', 'health-email', 'health-telegram']) {
    await expect(page.getByTestId(section)).toBeVisible();
  }
  await expect(page.getByTestId('health-database').getByTestId('level')).toHaveAttribute('data-level', 'ok');
  await expect(page.getByTestId('health-database')).toContainText('sqlite');
  await expect(page.getByTestId('health-redis').getByTestId('level')).toHaveText('Belum diatur');
  await expect(page.getByTestId('health-email')).toContainText('SMTP_URL belum diisi');

  // The catalog sync queued at start-up asks the sandbox; the page shows it once it ran.
  await expect(async () => {
    await page.reload();
    const sandbox = page.getByTestId('health-providers').locator('tr[data-provider="sandbox"]');
    await expect(sandbox.getByTestId('level')).toHaveAttribute('data-level', 'ok', { timeout: 1_000 });
    await expect(sandbox).toContainText('lalu', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(page);
  const jobs = page.getByTestId('health-jobs');
  await expect(jobs.locator('tr[data-kind="catalog_sync"]')).toBeVisible();
  await expect(jobs.locator('tr[data-kind="catalog_sync"]').getByTestId('dead')).toHaveText('0');
  await shot(page, testInfo, 'admin-health-id');

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await shot(page, testInfo, 'admin-health-dark');
  await page.getByTestId('lang-en').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Health');
  await expect(page.getByTestId('health-redis').getByTestId('level')).toHaveText('Not configured');
  await expect(page.getByTestId('health-providers').locator('tr[data-provider="sandbox"]')).toContainText('ago');
  await shot(page, testInfo, 'admin-health-en-dark');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).not.toHaveClass(/dark/);
  await shot(page, testInfo, 'admin-health-en');
  await page.getByTestId('lang-id').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'id');
});

test('an admin of a shop on the sandbox sees what it still needs, on a desktop and a phone', async ({ page }, testInfo) => {
  await logIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  const checklist = page.getByTestId('setup-checklist');
  await expect(checklist).toBeVisible();
  await expect(checklist.getByTestId('setup-step')).toHaveCount(5);
  // The test server runs on the sandbox: no SMTP, no Tripay, no real cloud.
  for (const step of ['smtp', 'payment_gateway', 'cloud_provider']) {
    await expect(checklist.locator(`[data-step="${step}"]`)).toHaveAttribute('data-done', 'false');
  }
  await expect(checklist.locator('[data-step="payment_gateway"]')).toContainText('TRIPAY_API_KEY');
  await expect(checklist).toContainText('Siapkan toko Anda');
  const done = await checklist.locator('[data-done="true"]').count();
  await expect(page.getByTestId('setup-progress')).toHaveText(`${done}/5 selesai`);
  await shot(page, testInfo, 'setup-checklist-id');
  await hydrated(page);
  await page.getByTestId('lang-en').click();
  await page.getByTestId('theme-toggle').click();
  await expect(checklist).toContainText('Set up your shop');
  await expect(checklist.locator('[data-step="smtp"]')).toContainText('Set SMTP_URL');
  await shot(page, testInfo, 'setup-checklist-en-dark');
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, testInfo, 'setup-checklist-phone-en-dark');
});
