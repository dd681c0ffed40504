// An admin turns a sandbox size into a plan and provisions a server for a customer; the customer
// watches it boot, reads the root password once and runs every action from the browser.
import { expect, test } from '@playwright/test';
import { act, ADMIN, ensureAdmin, hydrated, logIn, planOnSale, settled, shot, signUp } from './support';

const CUSTOMER = { name: 'Dewi Lestari', email: `dewi-${Date.now()}@example.com`, password: 'kopi-tubruk-pagi-7' };
const PLAN = `Nano ${Date.now()}`;
const HOSTNAME = 'web-dewi';

test.beforeAll(ensureAdmin);

test('an admin provisions a sandbox server and its owner runs every action', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(180_000);
  await signUp(page, CUSTOMER.name, CUSTOMER.email, CUSTOMER.password);

  // The admin prices a sandbox size as a plan (the catalog syncs itself at start-up).
  await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 75000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64', 'debian-12-x64'],
  });

  // … and provisions it for the customer from the admin's servers page.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/dashboard$/);
  await admin.goto('/admin/servers');
  await hydrated(admin);
  const form = admin.getByTestId('provision-form');
  await form.locator('summary').click();
  await form.getByLabel('E-mail pelanggan').fill(CUSTOMER.email);
  await form.getByLabel('Paket').selectOption({ label: PLAN });
  await form.getByLabel('Sistem operasi').selectOption({ label: 'Ubuntu 24.04 LTS' });
  await form.getByLabel('Nama host').fill('Bad_Name');
  await form.getByRole('button', { name: 'Buat server' }).click();
  await expect(form.getByTestId('form-error')).toContainText('Gunakan huruf, angka');
  await form.getByLabel('Nama host').fill(HOSTNAME);
  await form.getByRole('button', { name: 'Buat server' }).click();
  await expect(form.getByTestId('form-notice')).toContainText('Pembuatan server dimulai');
  await expect(admin.getByTestId('servers-table')).toContainText(CUSTOMER.email);
  await shot(admin, testInfo, 'admin-servers-id');

  // The customer sees it boot on "My servers", then opens it.
  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByTestId('servers-link').click();
  await expect(page).toHaveURL(/\/servers$/);
  const card = page.getByTestId('server-list').locator('li').filter({ hasText: HOSTNAME });
  await expect(card.getByTestId('server-status')).toHaveAttribute('data-status', 'running', { timeout: 20_000 });
  await expect(card).toContainText('192.0.2.');
  await shot(page, testInfo, 'my-servers-id');
  await card.getByRole('link', { name: HOSTNAME }).click();
  await hydrated(page);
  await expect(page.getByTestId('server-hostname')).toHaveText(HOSTNAME);
  await expect(page.getByTestId('sandbox-notice')).toContainText('Sandbox');
  await expect(page.getByTestId('ipv4')).toHaveText(/^192\.0\.2\.\d+$/);
  await expect(page.getByTestId('server-events')).toContainText('Server siap');
  await expect(page.getByText('Ubuntu 24.04 LTS').first()).toBeVisible();
  // Sandbox servers can do everything, so no action is explained away.
  await expect(page.getByTestId('action-reasons').locator('li')).toHaveCount(0);

  // The root password is shown once.
  await page.getByTestId('reveal-password').click();
  await expect(page.getByTestId('root-password')).toHaveText(/^[A-Za-z2-9]{20}$/);
  const firstPassword = await page.getByTestId('root-password').innerText();
  const copyPassword = page.getByTestId('root-password').locator('..').getByTestId('copy');
  await copyPassword.click();
  await expect(copyPassword).toHaveText('Tersalin');
  await shot(page, testInfo, 'server-ready-id');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('reveal-password')).toHaveCount(0);

  // What cannot be taken back says what it does first; keeping it as it is changes nothing.
  await page.locator('button[data-action="reboot"]').click();
  await expect(page.getByTestId('confirm-action')).toContainText('tidak dapat dijangkau sekitar satu menit');
  await shot(page, testInfo, 'confirm-reboot-id');
  await page.getByTestId('confirm-action-no').click();
  await expect(page.getByTestId('confirm-action')).toHaveCount(0);
  await expect(page.getByTestId('server-status')).toHaveAttribute('data-status', 'running');
  await expect(page.getByTestId('server-events')).not.toContainText('Tindakan diminta');

  await act(page, 'shutdown', 'stopped');
  await expect(page.locator('button[data-action="reboot"]')).toBeDisabled();
  await act(page, 'power_on', 'running');
  await act(page, 'reboot', 'running');
  await act(page, 'power_off', 'stopped');
  await act(page, 'power_on', 'running');
  await act(page, 'reset_password', 'running');
  await page.getByTestId('reveal-password').click();
  await expect(page.getByTestId('root-password')).not.toHaveText(firstPassword);

  // A rebuild wants the host name typed again.
  await page.getByTestId('theme-toggle').click();
  await page.getByTestId('lang-en').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.locator('button[data-action="power_off"]').click();
  await expect(page.getByTestId('confirm-action')).toContainText('like pulling the plug');
  await shot(page, testInfo, 'confirm-power-off-en-dark');
  await page.getByTestId('confirm-action-no').click();
  await page.getByText('Rebuild with another operating system').click();
  await page.getByLabel('Operating system').selectOption({ label: 'Debian 12' });
  await page.getByTestId('rebuild-confirm').fill('wrong-name');
  await page.locator('button[data-action="rebuild"]').click();
  await expect(page.getByTestId('form-error')).toContainText('Type the server');
  await page.getByTestId('rebuild-confirm').fill(HOSTNAME);
  await page.locator('button[data-action="rebuild"]').click();
  await expect(page.getByTestId('server-status')).toContainText('…');
  await settled(page, 'running');
  await expect(page.getByText('Debian 12').first()).toBeVisible();
  await expect(page.getByTestId('server-events')).toContainText('Action done — Rebuild');
  await shot(page, testInfo, 'server-after-actions-en-dark');
  await adminContext.close();
});

test('a customer cannot open someone else\'s server', async ({ page }, testInfo) => {
  const other = { name: 'Eko Prasetyo', email: `eko-${Date.now()}@example.com`, password: 'kopi-tubruk-pagi-7' };
  await signUp(page, other.name, other.email, other.password);
  await logIn(page, other.email, other.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/servers');
  await expect(page.getByText('Anda belum punya server')).toBeVisible();
  await page.goto('/servers/1');
  await expect(page.getByTestId('server-error')).toHaveText('Tidak ditemukan: tidak ada, atau bukan milik Anda.');
  await shot(page, testInfo, 'someone-elses-server-id');
  // Its console page says the same and draws no console.
  const consolePage = await page.goto('/servers/1/console');
  expect(consolePage?.status()).toBe(404);
  await expect(page.getByTestId('console-error')).toHaveText('Tidak ditemukan: tidak ada, atau bukan milik Anda.');
  await expect(page.locator('canvas')).toHaveCount(0);
  await expect(page.getByTestId('console-heading')).toHaveCount(0);
  await shot(page, testInfo, 'someone-elses-console-id');
});
