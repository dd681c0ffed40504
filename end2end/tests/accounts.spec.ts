// A customer signs up, verifies through the link an admin reads in the dev outbox, turns on
// two-factor authentication, logs out and logs in again with a code.
import { expect, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { ADMIN, ensureAdmin, hydrated, logIn, shot, signUp, verifiedCustomer } from './support';

const CUSTOMER = { name: 'Siti Rahma', email: `siti-${Date.now()}@example.com`, password: 'kopi-tubruk-pagi-7' };

function base32(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of secret.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The code an authenticator app shows `aheadSeconds` from now (RFC 6238, SHA-1, 6 digits, 30 s). */
function totp(secret: string, aheadSeconds = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor((Date.now() / 1000 + aheadSeconds) / 30)));
  const digest = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 15;
  return ((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

// The first admin comes from the command line, as an operator would make it. A retry of this
// file finds it already made.
test.beforeAll(ensureAdmin);

test('sign up, verify by e-mail, turn on 2FA, log in with a code', async ({ page, browser }, testInfo) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Nama lengkap').fill(CUSTOMER.name);
  await page.getByLabel('E-mail').fill(CUSTOMER.email);
  await page.getByLabel('Kata sandi').fill('password123');
  await page.getByRole('button', { name: 'Daftar' }).last().click();
  await expect(page.getByTestId('form-error')).toHaveText('Kata sandi ini terlalu umum. Pilih yang lain.');
  await page.getByLabel('Kata sandi').fill(CUSTOMER.password);
  await page.getByRole('button', { name: 'Daftar' }).last().click();
  await expect(page.getByTestId('form-notice')).toContainText('tautan konfirmasi');
  await shot(page, testInfo, 'signup-done-id');

  // The admin reads the verification e-mail in the dev outbox.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/dashboard$/);
  await admin.goto(`/admin/outbox?to=${encodeURIComponent(CUSTOMER.email)}`);
  const mail = admin.getByTestId('outbox').locator('li').first();
  await expect(mail).toContainText('Konfirmasi e-mail Anda');
  await shot(admin, testInfo, 'admin-outbox');
  const body = await mail.locator('pre').innerText();
  const link = body.match(/https?:\/\/\S+\/verify-email\?token=\S+/)![0];

  await page.goto(link);
  await expect(page.getByTestId('form-notice')).toHaveText('E-mail Anda sudah terverifikasi. Terima kasih!');

  // A log-in lands on the dashboard: nothing needs attention yet, no servers, no invoices.
  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('attention')).toHaveText(/Tidak ada yang perlu Anda tangani/);
  await expect(page.getByTestId('home-servers')).toContainText('Anda belum punya server.');
  await shot(page, testInfo, 'dashboard-empty-id');
  await page.getByTestId('account-link').click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByTestId('account-email')).toHaveText(CUSTOMER.email);
  await expect(page.getByTestId('account-link')).toHaveText(CUSTOMER.name);

  await page.getByTestId('two-factor-begin').click();
  const secret = (await page.getByTestId('totp-secret').innerText()).trim();
  expect(secret).toMatch(/^[A-Z2-7]+$/);
  await shot(page, testInfo, 'two-factor-setup');
  await page.getByLabel('Kode autentikasi atau kode pemulihan').fill(totp(secret));
  await page.getByRole('button', { name: 'Aktifkan', exact: true }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  await page.getByTestId('theme-toggle').click();
  await shot(page, testInfo, 'two-factor-on-dark');

  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Masuk' })).toBeVisible();

  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page.getByTestId('form-error')).toHaveText('Masukkan kode autentikasi untuk melanjutkan.');
  // Each code works once; the next window's code is within the accepted drift.
  await page.getByLabel('Kode autentikasi atau kode pemulihan').fill(totp(secret, 30));
  await page.getByRole('button', { name: 'Masuk' }).last().click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/account');
  await expect(page.getByTestId('two-factor-status')).toHaveText('Verifikasi dua langkah aktif.');
  await shot(page, testInfo, 'account-with-2fa');

  // The admin sees the customer and what happened to the account.
  await admin.goto(`/admin/users?search=${encodeURIComponent(CUSTOMER.email)}`);
  await expect(admin.getByTestId('users-table')).toContainText(CUSTOMER.name);
  await admin.goto(`/admin/audit?email=${encodeURIComponent(CUSTOMER.email)}`);
  await expect(admin.getByTestId('audit-table')).toContainText('two_factor_enabled');
  await hydrated(admin);
  await admin.getByTestId('lang-en').click();
  await expect(admin.locator('html')).toHaveAttribute('lang', 'en');
  await shot(admin, testInfo, 'admin-audit-en');
  // Every e-mail went through the durable job queue (completed at once in dev-outbox mode).
  await admin.goto('/admin/jobs?kind=deliver_email&state=done');
  await expect(admin.getByTestId('jobs-table')).toContainText('deliver_email');
  await expect(admin.getByLabel('Kind')).toHaveValue('deliver_email');
  await shot(admin, testInfo, 'admin-jobs-en');
  await adminContext.close();
});

test('an XSS payload as a name is shown as text', async ({ page }) => {
  const email = `xss-${Date.now()}@example.com`;
  await signUp(page, '<img src=x onerror="window.__xss=1">', email, CUSTOMER.password);
  await logIn(page, email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('account-link')).toHaveText('<img src=x onerror="window.__xss=1">');
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
});

test('a page left open after "log out everywhere" asks for a new log-in and comes back', async ({ page, browser }, testInfo) => {
  // The open page hears of it at its socket's next session check (every 15 s).
  test.setTimeout(120_000);
  ensureAdmin();
  const customer = { name: 'Rudi Hartono', email: `rudi-${Date.now()}@example.com`, password: 'es-cendol-manis-3' };
  await verifiedCustomer(page, browser, customer);
  await page.goto('/servers');
  await hydrated(page);
  await expect(page.getByTestId('bell-button')).toBeVisible();

  // On another device the customer logs out everywhere.
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await logIn(phone, customer.email, customer.password);
  await expect(phone).toHaveURL(/\/dashboard$/);
  await phone.goto('/account');
  await hydrated(phone);
  const loggedOut = phone.waitForResponse((answer) => answer.request().method() === 'POST' && (answer.request().postData() ?? '').includes('everywhere=true'));
  await phone.getByRole('button', { name: 'Keluar dari semua perangkat' }).click();
  expect((await loggedOut).ok()).toBe(true);
  await phoneContext.close();

  await expect(page).toHaveURL(/\/login\?next=\/servers&ended=session$/, { timeout: 40_000 });
  await expect(page.getByTestId('session-ended')).toContainText('Sesi Anda berakhir');
  await hydrated(page);
  await shot(page, testInfo, 'session-ended');
  await page.getByLabel('E-mail').fill(customer.email);
  await page.getByLabel('Kata sandi').fill(customer.password);
  await page.getByRole('button', { name: 'Masuk' }).last().click();
  await expect(page).toHaveURL(/\/servers$/);
});

test('times are on the clock of the zone chosen in the profile, on every device', async ({ page, browser }, testInfo) => {
  ensureAdmin();
  const customer = { name: 'Made Wirawan', email: `made-${Date.now()}@example.com`, password: 'babi-guling-ubud-5' };
  await verifiedCustomer(page, browser, customer);
  await page.goto('/account');
  await hydrated(page);
  // A new account reads Jakarta time.
  const zone = page.getByTestId('time-zone');
  await expect(zone).toHaveValue('Asia/Jakarta');
  const lastUsed = page.getByTestId('sessions').locator('li').first();
  await expect(lastUsed).toContainText(/\d{2}:\d{2} WIB/);
  const hourOf = async () => Number((await lastUsed.innerText()).match(/(\d{2}):\d{2} WI(?:B|TA)/)![1]);
  const jakartaHour = await hourOf();

  // Living in Bali, the customer picks WITA: the page says so at once, one hour later.
  await zone.selectOption('Asia/Makassar');
  const profile = page.getByTestId('profile');
  await profile.getByRole('button', { name: 'Simpan', exact: true }).click();
  await expect(profile.getByTestId('form-notice')).toHaveText('Tersimpan.');
  await expect(lastUsed).toContainText(/\d{2}:\d{2} WITA/);
  expect(await hourOf()).toBe((jakartaHour + 1) % 24);
  await shot(page, testInfo, 'account-time-zone-id');

  // Rendered by the server after a reload, and on another device after its log-in.
  await page.reload();
  await expect(page.getByTestId('sessions').locator('li').first()).toContainText(/\d{2}:\d{2} WITA/);
  const laptopContext = await browser.newContext({ colorScheme: 'dark' });
  const laptop = await laptopContext.newPage();
  await logIn(laptop, customer.email, customer.password);
  await expect(laptop).toHaveURL(/\/dashboard$/);
  await laptop.goto('/account?lang=en');
  await hydrated(laptop);
  await expect(laptop.getByTestId('time-zone')).toHaveValue('Asia/Makassar');
  await expect(laptop.getByText('Time zone', { exact: true })).toBeVisible();
  await expect(laptop.getByTestId('sessions').locator('li').first()).toContainText(/\d{2}:\d{2} WITA/);
  await laptop.getByTestId('theme-toggle').click();
  await shot(laptop, testInfo, 'account-time-zone-en-dark');
  await laptopContext.close();
});
