// An admin is told when something needs a person: a forged payment callback, posted by anyone,
// arrives in the open bell without a reload, and choosing it opens the audit log's entries of
// that reason.
import { expect, test } from '@playwright/test';
import { ADMIN, ensureAdmin, hydrated, logIn, shot } from './support';

test('a refused payment callback rings the admin bell and leads to the audit log', async ({ page, request }, testInfo) => {
  ensureAdmin();
  await logIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin/jobs');
  await hydrated(page);
  await page.getByTestId('bell-button').click();
  const menu = page.getByTestId('bell-menu');
  await expect(menu).toBeVisible();
  const refused = menu.locator('[data-testid=bell-item][data-event=admin_payment_callback_refused]');
  await expect(refused).toHaveCount(0);

  // Not signed with the gateway's key: refused, and nothing of it but the reason is told.
  const forged = await request.post('/api/v1/payments/tripay/callback', {
    headers: { 'X-Callback-Event': 'payment_status', 'X-Callback-Signature': 'f00dfeed' },
    data: { reference: 'FORGED-0001', merchant_ref: 'INV-000000-00001', status: 'PAID', total_amount: 1 },
  });
  expect(forged.status()).toBe(403);

  await expect(refused).toHaveCount(1, { timeout: 15_000 });
  await expect(refused).toHaveAttribute('data-read', 'false');
  await expect(refused).toContainText('Callback pembayaran ditolak: tanda tangan tidak valid');
  await expect(refused).toContainText('Sebuah callback sandbox ditolak.');
  await expect(refused).not.toContainText('FORGED-0001');
  await shot(page, testInfo, 'admin-bell-callback-refused');

  await refused.locator('a').click();
  await expect(page).toHaveURL(/\/admin\/audit\?action=payment_callback_bad_signature$/);
  await expect(page.getByTestId('audit-table')).toContainText('payment_callback_bad_signature');
  await expect(page.getByTestId('audit-table')).toContainText('1 refused since the last entry');
  await shot(page, testInfo, 'admin-audit-from-notice');
});
