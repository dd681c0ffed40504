// An admin makes a coupon; a verified customer orders two sandbox servers with it through the
// REST API; the admin finds the orders by search and status, is told an override needs a note,
// marks the first invoice paid by bank transfer, watches the order become active, extends it by
// 30 days, and cancels the second order. Screenshots in both languages and themes.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { ADMIN, ensureAdmin, hydrated, logIn, planOnSale, shot, signUp } from './support';

const STAMP = Date.now();
const CUSTOMER = { name: 'Rina Wulandari', email: `rina-${STAMP}@example.com`, password: 'kopi-tubruk-pagi-7' };
const PLAN = `Order Nano ${STAMP}`;
const COUPON = `HEMAT${STAMP % 100000}`;
const HOSTS = {
  paid: `web-rina-${STAMP % 100000}`,
  cancelled: `db-rina-${STAMP % 100000}`,
  failed: `cache-rina-${STAMP % 100000}`,
};

test.beforeAll(ensureAdmin);

async function token(request: APIRequestContext, email: string, password: string): Promise<string> {
  const login = await request.post('/api/v1/auth/login', { data: { email, password } });
  expect(login.status(), await login.text()).toBe(200);
  return (await login.json()).access_token as string;
}

/** The customer confirms their address with the link the admin reads in the dev outbox. */
async function verify(admin: Page, customer: Page, email: string) {
  await admin.goto(`/admin/outbox?to=${encodeURIComponent(email)}`);
  const mail = admin.getByTestId('outbox').locator('li').first();
  await expect(mail).toContainText('Konfirmasi e-mail Anda');
  const body = await mail.locator('pre').innerText();
  await customer.goto(body.match(/https?:\/\/\S+\/verify-email\?token=\S+/)![0]);
  await expect(customer.getByTestId('form-notice')).toContainText('terverifikasi');
}

/** `Rp 74.925`, as the pages write rupiah. */
function rupiah(amount: number): string {
  return `Rp ${amount.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
}

test('an admin finds an order, marks it paid by bank transfer, extends it and cancels another', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(180_000);

  // A sandbox plan to order (the catalog syncs itself at start-up).
  const planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 75000,
    region_slugs: ['sbx-jkt1'],
    // The sandbox's broken image always fails to provision.
    image_slugs: ['ubuntu-24-04-x64', 'sandbox-broken'],
  });

  // The admin makes a 10 % coupon for that plan; a bad code is refused on its field.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/dashboard$/);
  await admin.goto('/admin/coupons');
  await hydrated(admin);
  await admin.getByTestId('new-coupon').click();
  const form = admin.getByTestId('coupon-form');
  await form.getByLabel('Kode').fill('X!');
  await form.getByLabel('Besarnya').fill('10');
  await form.getByRole('button', { name: 'Simpan kupon' }).click();
  await expect(form.getByTestId('error-code')).toHaveText(
    'Kode kupon terdiri dari 3 sampai 32 huruf, angka, tanda hubung atau garis bawah.',
  );
  // A refused form keeps what was typed.
  await expect(form.getByLabel('Kode')).toHaveValue('X!');
  await form.getByLabel('Kode').fill(COUPON.toLowerCase());
  await form.getByLabel('Total pemakaian').fill('nol');
  await form.getByRole('button', { name: 'Simpan kupon' }).click();
  await expect(form.getByTestId('error-limits')).toHaveText(
    'Batas pemakaian berupa bilangan bulat minimal 1, atau kosong bila tanpa batas.',
  );
  await expect(form.getByTestId('error-code')).toHaveCount(0);
  await form.getByLabel('Total pemakaian').fill('100');
  await form.getByLabel('Pemakaian per pelanggan').fill('2');
  await form.getByLabel('Mulai (WIB)').fill('2026-01-01T00:00');
  await form.getByLabel('Sampai (WIB)').fill('2025-12-31T00:00');
  await form.getByRole('button', { name: 'Simpan kupon' }).click();
  await expect(form.getByTestId('error-window')).toContainText('Kupon harus berakhir setelah mulai berlaku');
  await form.getByLabel('Mulai (WIB)').fill('');
  await form.getByLabel('Sampai (WIB)').fill('2099-12-31T23:59');
  await form.getByLabel(PLAN).check();
  await shot(admin, testInfo, 'admin-coupon-form-id');
  await form.getByRole('button', { name: 'Simpan kupon' }).click();
  await expect(admin).toHaveURL(/\/admin\/coupons$/);
  const couponRow = admin.getByTestId(`coupon-${COUPON}`);
  await expect(couponRow).toContainText('10%');
  await expect(couponRow).toContainText('0 / 100');
  await expect(couponRow).toContainText(PLAN);
  await expect(couponRow).toContainText('Aktif');

  // A customer signs up, verifies and orders two servers with the coupon.
  await signUp(page, CUSTOMER.name, CUSTOMER.email, CUSTOMER.password);
  await verify(admin, page, CUSTOMER.email);
  const customerToken = await token(request, CUSTOMER.email, CUSTOMER.password);
  const placed: { order: { id: number }; invoice: { id: number; number: string; total: number } }[] = [];
  for (const hostname of [HOSTS.paid, HOSTS.cancelled]) {
    const response = await request.post('/api/v1/orders', {
      headers: { Authorization: `Bearer ${customerToken}` },
      data: { plan_id: planId, region: 'sbx-jkt1', image: 'ubuntu-24-04-x64', hostname, period_months: 1, coupon: COUPON },
    });
    expect(response.status(), await response.text()).toBe(201);
    placed.push(await response.json());
  }
  const [first, second] = placed;
  // Rp 75.000 less 10 %, plus 11 % PPN.
  expect(first.invoice.total).toBe(74_925);

  // The admin finds them by the customer's e-mail, then narrows to unpaid ones.
  await admin.goto('/admin/coupons');
  await expect(admin.getByTestId(`coupon-${COUPON}`)).toContainText('2 / 100');
  await shot(admin, testInfo, 'admin-coupons-id');
  await admin.goto('/admin/orders');
  await hydrated(admin);
  const filters = admin.getByTestId('order-filters');
  await filters.getByLabel('E-mail atau nama host').fill(CUSTOMER.email);
  await filters.getByRole('button', { name: 'Saring' }).click();
  await expect(admin).toHaveURL(/search=/);
  const orders = admin.getByTestId('orders-table');
  await expect(orders.locator('tbody tr')).toHaveCount(2);
  await hydrated(admin);
  await filters.getByLabel('Status').selectOption({ label: 'Menunggu pembayaran' });
  await filters.getByLabel('Dipesan sejak').fill(new Date().toISOString().slice(0, 10));
  await filters.getByRole('button', { name: 'Saring' }).click();
  await expect(admin).toHaveURL(/status=pending_payment/);
  await expect(orders.locator('tbody tr')).toHaveCount(2);
  await expect(orders).toContainText('Menunggu pembayaran');
  await expect(filters.getByLabel('Status')).toHaveValue('pending_payment');
  await shot(admin, testInfo, 'admin-orders-id');
  // A filter for a day the orders were not placed on finds none, and says so.
  await admin.goto(`/admin/orders?search=${encodeURIComponent(CUSTOMER.email)}&to=2020-01-01`);
  await expect(admin.getByTestId('orders-empty')).toBeVisible();
  await admin.goto(`/admin/orders?search=${encodeURIComponent(CUSTOMER.email)}&from=2026-02-01&to=2026-01-01`);
  await expect(admin.getByTestId('load-error')).toHaveText('Tanggal akhir lebih awal dari tanggal mulai.');

  // It opens the first; an override without a note is refused with the reason.
  await admin.goto(`/admin/orders?search=${encodeURIComponent(HOSTS.paid)}`);
  await admin.getByTestId('orders-table').getByRole('link', { name: HOSTS.paid }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/orders/${first.order.id}$`));
  await hydrated(admin);
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-status', 'pending_payment');
  const invoice = admin.getByTestId(`invoice-${first.invoice.number}`);
  await expect(invoice).toContainText(rupiah(first.invoice.total));
  await expect(invoice.getByRole('link', { name: first.invoice.number })).toHaveAttribute('href', `/invoices/${first.invoice.id}`);
  // Only what applies is offered: no extension or retry before the server runs, no refund unpaid.
  await expect(admin.getByTestId('extend-form')).toHaveCount(0);
  await expect(admin.getByTestId('retry-form')).toHaveCount(0);
  await expect(invoice.getByTestId('refund-form')).toHaveCount(0);
  await invoice.getByRole('button', { name: 'Tandai lunas' }).click();
  await expect(admin.getByTestId('form-error')).toHaveText(
    'Tulis catatan alasannya: catatan masuk ke riwayat pelanggan dan log audit.',
  );
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-status', 'pending_payment');

  // Marked paid by bank transfer, the order is provisioned on the sandbox cloud and goes active.
  await invoice.getByRole('textbox').fill('bank transfer');
  await invoice.getByRole('button', { name: 'Tandai lunas' }).click();
  await expect(admin.getByTestId('order-status')).not.toHaveAttribute('data-status', 'pending_payment');
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-status', 'active', { timeout: 45_000 });
  const events = admin.getByTestId('order-events');
  await expect(events).toContainText('Menunggu pembayaran → Dibayar');
  await expect(events).toContainText('Dibayar → Sedang disiapkan');
  await expect(events).toContainText('Sedang disiapkan → Aktif');
  await expect(invoice.getByTestId('invoice-status')).toHaveAttribute('data-status', 'paid');
  await expect(invoice).toContainText('Manual oleh admin');
  await expect(invoice).toContainText('bank transfer');
  await expect(admin.getByTestId('server-link')).toBeVisible();
  await expect(admin.getByTestId('cancel-form')).toHaveCount(0);
  await expect(admin.getByTestId('auto-renew')).toHaveText('Aktif');

  // Extended by 30 days: the paid-until date moves and the history says so.
  const paidUntil = await admin.getByTestId('paid-until').innerText();
  const extend = admin.getByTestId('extend-form');
  await expect(extend.getByLabel('Hari')).toHaveValue('30');
  await extend.getByRole('textbox').fill('goodwill for the outage');
  await extend.getByRole('button', { name: 'Perpanjang' }).click();
  await expect(events).toContainText('goodwill for the outage');
  await expect(events).toContainText('Aktif (status tetap)');
  await expect(admin.getByTestId('form-notice')).toHaveText('Selesai. Riwayat di bawah menunjukkan perubahannya.');
  // The note was for that extension only.
  await expect(extend.getByRole('textbox')).toHaveValue('');
  const extended = await admin.getByTestId('paid-until').innerText();
  // Both times are on the admin's clock (WIB), so the zone drops out of the difference.
  const wallClock = (text: string) => Date.parse(text.replace(/ WIB$/, 'Z').replace(' ', 'T'));
  const days = (wallClock(extended) - wallClock(paidUntil)) / 86_400_000;
  expect(days).toBe(30);
  await shot(admin, testInfo, 'admin-order-active-id');
  await admin.getByTestId('theme-toggle').click();
  await expect(admin.locator('html')).toHaveClass(/dark/);
  await shot(admin, testInfo, 'admin-order-active-dark');
  await admin.getByTestId('lang-en').click();
  await expect(admin.locator('html')).toHaveAttribute('lang', 'en');
  await expect(events).toContainText('Awaiting payment → Paid');
  await shot(admin, testInfo, 'admin-order-active-en-dark');
  await admin.getByTestId('theme-toggle').click();
  await shot(admin, testInfo, 'admin-order-active-en');
  await admin.getByTestId('lang-id').click();

  // The second order is cancelled with a note; its invoice is cancelled with it.
  await admin.goto(`/admin/orders/${second.order.id}`);
  await hydrated(admin);
  const cancel = admin.getByTestId('cancel-form');
  await cancel.getByRole('textbox').fill('customer asked by phone');
  await cancel.getByRole('button', { name: 'Batalkan pesanan' }).click();
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-status', 'cancelled');
  await expect(admin.getByTestId('order-events')).toContainText('Menunggu pembayaran → Dibatalkan');
  await expect(admin.getByTestId('order-events')).toContainText('customer asked by phone');
  await expect(admin.getByTestId(`invoice-${second.invoice.number}`).getByTestId('invoice-status')).toHaveAttribute('data-status', 'cancelled');
  await expect(admin.getByTestId('no-overrides')).toContainText('Dibatalkan');
  await shot(admin, testInfo, 'admin-order-cancelled-id');

  // All invoices, narrowed to paid ones: the first is there in rupiah, the cancelled one is not.
  await admin.goto('/admin/invoices?status=paid');
  const invoices = admin.getByTestId('invoices-table');
  await expect(invoices.getByTestId(`invoice-${first.invoice.number}`)).toContainText(rupiah(first.invoice.total));
  await expect(invoices.getByTestId(`invoice-${first.invoice.number}`)).toContainText(CUSTOMER.email);
  await expect(invoices.getByTestId(`invoice-${second.invoice.number}`)).toHaveCount(0);
  await shot(admin, testInfo, 'admin-invoices-id');
  await admin.goto('/admin/invoices?status=cancelled');
  await expect(invoices.getByTestId(`invoice-${second.invoice.number}`)).toBeVisible();

  // A refund of the first invoice is recorded with a note, in the order's history too.
  await admin.goto(`/admin/orders/${first.order.id}`);
  await hydrated(admin);
  const refund = admin.getByTestId(`invoice-${first.invoice.number}`).getByTestId('refund-form');
  await refund.getByRole('textbox').fill('returned by bank transfer');
  await refund.getByRole('button', { name: 'Tandai dikembalikan' }).click();
  await expect(admin.getByTestId(`invoice-${first.invoice.number}`).getByTestId('invoice-status')).toHaveAttribute('data-status', 'refunded');
  await expect(admin.getByTestId('order-events')).toContainText('returned by bank transfer');
  await expect(admin.getByTestId(`invoice-${first.invoice.number}`).getByTestId('refund-form')).toHaveCount(0);

  // A third order, for the broken image, fails at the provider; a retry needs a note too.
  const failing = await request.post('/api/v1/orders', {
    headers: { Authorization: `Bearer ${customerToken}` },
    data: { plan_id: planId, region: 'sbx-jkt1', image: 'sandbox-broken', hostname: HOSTS.failed, period_months: 1 },
  });
  expect(failing.status(), await failing.text()).toBe(201);
  const third = await failing.json();
  await admin.goto(`/admin/orders/${third.order.id}`);
  await hydrated(admin);
  const thirdInvoice = admin.getByTestId(`invoice-${third.invoice.number}`);
  await thirdInvoice.getByRole('textbox').fill('bank transfer');
  await thirdInvoice.getByRole('button', { name: 'Tandai lunas' }).click();
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-status', 'failed', { timeout: 45_000 });
  await expect(admin.getByTestId('order-message')).toBeVisible();
  const retry = admin.getByTestId('retry-form');
  await retry.getByRole('button', { name: 'Coba lagi' }).click();
  await expect(admin.getByTestId('form-error')).toHaveText(
    'Tulis catatan alasannya: catatan masuk ke riwayat pelanggan dan log audit.',
  );
  await retry.getByRole('textbox').fill('provider says the image is fixed');
  await retry.getByRole('button', { name: 'Coba lagi' }).click();
  await expect(admin.getByTestId('order-events')).toContainText('Gagal → Sedang disiapkan');
  await expect(admin.getByTestId('order-events')).toContainText('provider says the image is fixed');
  // The image is still broken, so it fails again, and can be retried or cancelled again.
  await expect(admin.getByTestId('order-status')).toHaveAttribute('data-status', 'failed', { timeout: 45_000 });
  await expect(admin.getByTestId('retry-form')).toBeVisible();
  await expect(admin.getByTestId('cancel-form')).toBeVisible();
  await shot(admin, testInfo, 'admin-order-failed-id');

  // Its owner is told what happens next, and its server offers no console it cannot have.
  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto(`/orders/${third.order.id}`);
  await hydrated(page);
  await expect(page.getByTestId('failed-next-step')).toContainText('Tim kami sudah diberi tahu');
  await shot(page, testInfo, 'order-failed-customer-id');
  // The dashboard puts the failed server first, with the open invoice to pay.
  await page.getByTestId('dashboard-link').click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('attention')).toContainText(`${HOSTS.failed}: server ini gagal dinyalakan`);
  await expect(page.getByTestId('home-servers')).toContainText(HOSTS.failed);
  await expect(page.getByTestId('home-notifications').locator('li').first()).toBeVisible();
  await shot(page, testInfo, 'dashboard-id');
  await page.goto(`/orders/${third.order.id}`);
  await hydrated(page);
  await page.getByTestId('server-link').click();
  await expect(page.getByTestId('console-not-running')).toContainText('gagal dinyalakan');
  await expect(page.getByTestId('server-order')).toHaveText(`#${third.order.id}`);
  await page.getByTestId('theme-toggle').click();
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('console-not-running')).toContainText('failed to start');
  await page.getByTestId('server-order').click();
  await expect(page.getByTestId('failed-next-step')).toContainText('Our team has been told');
  await shot(page, testInfo, 'order-failed-customer-en-dark');
  await page.getByTestId('dashboard-link').click();
  await expect(page.getByTestId('attention')).toContainText(`${HOSTS.failed}: this server failed to start`);
  await shot(page, testInfo, 'dashboard-en-dark');
  await page.getByTestId('theme-toggle').click();
  await page.getByTestId('lang-id').click();

  // Cancelling gave the coupon use back; the paid order keeps its own.
  await admin.goto('/admin/coupons');
  await expect(admin.getByTestId(`coupon-${COUPON}`)).toContainText('1 / 100');
  await hydrated(admin);
  await admin.getByTestId('lang-en').click();
  await expect(admin.locator('html')).toHaveAttribute('lang', 'en');
  await admin.getByTestId(`coupon-${COUPON}`).getByRole('link', { name: 'Edit' }).click();
  await expect(admin.getByTestId('coupon-form').getByLabel('Code')).toHaveValue(COUPON);
  await expect(admin.getByTestId('coupon-form').getByLabel(PLAN)).toBeChecked();
  await shot(admin, testInfo, 'admin-coupons-en');
  await admin.getByTestId('lang-id').click();
  await adminContext.close();
});

test('a customer cannot open the admin order pages', async ({ page }) => {
  const other = { name: 'Joko Susilo', email: `joko-${Date.now()}@example.com`, password: 'kopi-tubruk-pagi-7' };
  await signUp(page, other.name, other.email, other.password);
  await logIn(page, other.email, other.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin/orders');
  await expect(page.getByRole('alert')).toHaveText('Anda tidak memiliki akses ke halaman ini.');
  // Nothing of the admin's pages shows: no menu, no heading.
  await expect(page.getByTestId('admin-menu')).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1 })).toHaveCount(0);
  await page.goto('/admin/orders/1');
  await expect(page.getByTestId('order-heading')).toHaveCount(0);
});
