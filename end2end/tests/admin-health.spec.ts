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
