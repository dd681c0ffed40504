// Customers order servers through the wizard and pay on embedded defaults (the sandbox cloud and
// the sandbox payment gateway): one pays and watches the order become active and the server run,
// one lets the payment expire, and one is told why a host name is refused. At the end the run's
// orders are counted by status, so the report can say how many were placed, paid and provisioned.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { ADMIN, cardLabel, ensureAdmin, hydrated, logIn, planOnSale, setTheme, shot, signUp, verifiedCustomer, verifyEmail } from './support';

const RUN = Date.now();
const PLAN = `Order ${RUN}`;
const PASSWORD = 'kopi-tubruk-pagi-7';
// Generated with `ssh-keygen -t ed25519`.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKbw6XfK4lamWEMc4cA3DLhryw8jkvofwx8Y4MnqtTZb budi@laptop';

let planId = 0;

async function adminToken(request: APIRequestContext) {
  const login = await request.post('/api/v1/auth/login', { data: ADMIN });
  expect(login.status(), await login.text()).toBe(200);
  return (await login.json()).access_token as string;
}

test.beforeAll(async ({ request }) => {
  ensureAdmin();
  // A sandbox plan at Rp 75.000 a month with 5 % off three months and 15 % off a year. The catalog
  // syncs itself at start-up, so the first tries may find no sizes yet.
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 75000,
    discount_3m_percent: 5,
    discount_12m_percent: 15,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['ubuntu-24-04-x64', 'debian-12-x64'],
  });
});

/** From the region step on: the first region, `image`, then the details. */
async function chooseUpToDetails(page: Page, image: string) {
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'region');
  await page.getByTestId('choose-region').first().click();
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'image');
  await page.getByTestId('choose-image').filter({ hasText: image }).click();
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'details');
}

/** Opens the wizard on the test plan, the way the plans page's button does. */
async function startOrder(page: Page) {
  await page.goto(`/order?plan=${planId}`);
  await hydrated(page);
}

test('a new customer orders through the wizard, pays in the sandbox and gets a running server', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const customer = await verifiedCustomer(page, browser, { name: 'Budi Hartono', email: `budi-order-${RUN}@example.com`, password: PASSWORD });

  // A saved SSH key is offered in the wizard (added through the API, with a token of its own).
  const login = await request.post('/api/v1/auth/login', { data: { email: customer.email, password: customer.password } });
  const token = (await login.json()).access_token as string;
  const key = await request.post('/api/v1/ssh-keys', {
    headers: { Authorization: `Bearer ${token}` },
    data: { name: 'Laptop Budi', public_key: ED25519 },
  });
  expect(key.status(), await key.text()).toBe(201);

  // The plans page's "Pesan" button opens the wizard on that plan.
  await page.goto('/plans');
  await hydrated(page);
  const card = page.getByTestId('plan-card').filter({ hasText: PLAN });
  await expect(card.getByTestId('order-plan')).toHaveText('Pesan');
  await shot(page, testInfo, 'plans-with-order-button-id');
  await card.getByTestId('order-plan').click();
  await expect(page).toHaveURL(new RegExp(`/order\\?plan=${planId}$`));
  await expect(page.getByRole('heading', { name: 'Pesan server' })).toBeVisible();
  await shot(page, testInfo, 'wizard-region-id');
  await chooseUpToDetails(page, 'Ubuntu 24.04 LTS');

  // The price is there before anything is typed, and follows the period as it is chosen.
  const live = page.getByTestId('live-price');
  await expect(live.getByTestId('price-total')).toContainText('Rp 83.250');
  await page.getByLabel('Nama host').fill('web-budi');
  const year = page.getByTestId('periods').locator('label').filter({ hasText: '12 bulan' });
  await expect(year).toContainText('Rp 765.000');
  await expect(year).toContainText('hemat 15%');
  await year.click();
  await expect(live.getByTestId('price-period-discount')).toContainText('-Rp 135.000');
  await expect(live.getByTestId('price-total')).toContainText('Rp 849.150');
  // A coupon is asked about once typed: an unknown one says so there.
  await page.getByLabel('Kode kupon (opsional)').pressSequentially('NOPE');
  await expect(live.getByTestId('live-price-error')).toBeVisible();
  await page.getByLabel('Kode kupon (opsional)').fill('');
  await expect(live.getByTestId('price-total')).toContainText('Rp 849.150');
  await page.getByTestId('ssh-key-choices').getByLabel(/Laptop Budi/).check();
  await shot(page, testInfo, 'wizard-details-id');
  await page.getByTestId('to-review').click();

  // Review: 12 × Rp 75.000, 15 % off the year, PPN 11 % on the rest.
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'review');
  await expect(page.getByTestId('review-hostname')).toHaveText('web-budi');
  await expect(page.getByTestId('review-summary')).toContainText('1 kunci');
  const prices = page.getByTestId('price-breakdown');
  await expect(prices.getByTestId('price-subtotal')).toContainText('Rp 900.000');
  await expect(prices.getByTestId('price-period-discount')).toContainText('Diskon periode (15%)');
  await expect(prices.getByTestId('price-period-discount')).toContainText('-Rp 135.000');
  await expect(prices.getByTestId('price-coupon-discount')).toHaveCount(0);
  await expect(prices.getByTestId('price-tax')).toContainText('PPN 11%');
  await expect(prices.getByTestId('price-tax')).toContainText('Rp 84.150');
  await expect(prices.getByTestId('price-total')).toContainText('Rp 849.150');
  await shot(page, testInfo, 'wizard-review-id');

  // Placing the order leads to its invoice.
  await page.getByTestId('place-order').click();
  await expect(page).toHaveURL(/\/invoices\/\d+$/);
  await hydrated(page);
  const invoiceUrl = page.url();
  const invoice = page.getByTestId('invoice');
  await expect(invoice.getByTestId('invoice-number')).toHaveText(/^INV-\d{6}-\d{5}$/);
  await expect(invoice.getByTestId('invoice-status')).toHaveAttribute('data-status', 'unpaid');
  await expect(invoice.getByTestId('seller')).toContainText('PT Webrana Awan Nusantara');
  await expect(invoice.getByTestId('seller')).toContainText('Jakarta Pusat 10220');
  await expect(invoice.getByTestId('seller-npwp')).toHaveText('01.234.567.8-901.000');
  await expect(invoice.getByTestId('customer-name')).toHaveText(customer.name);
  await expect(invoice.getByTestId('customer-email')).toHaveText(customer.email);
  await expect(invoice.getByTestId('invoice-lines')).toContainText('Rp 900.000');
  await expect(invoice.getByTestId('invoice-tax')).toContainText('Rp 84.150');
  await expect(invoice.getByTestId('invoice-total')).toContainText('Rp 849.150');
  await expect(page.getByTestId('order-panel').getByTestId('order-status')).toHaveAttribute('data-status', 'pending_payment');
  await shot(page, testInfo, 'invoice-unpaid-id');

  // Pay with QRIS: the QR code, the amount and the sandbox checkout link.
  const channels = page.getByTestId('channels');
  await channels.getByLabel(/QRIS/).check();
  await page.getByTestId('pay').click();
  const open = page.getByTestId('open-payment');
  await expect(open).toBeVisible();
  await expect(open.getByTestId('qris')).toBeVisible();
  await expect(open.getByTestId('qris')).toHaveAttribute('src', /^data:image\/svg\+xml;base64,/);
  await expect(open.getByTestId('payment-total')).toHaveText('Rp 849.150');
  const reference = await open.getAttribute('data-reference');
  expect(reference).toMatch(/^SBX-/);

  // The open payment is still there after a reload, and reads in English and in the dark.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('open-payment')).toHaveAttribute('data-reference', reference!);
  await page.getByTestId('lang-en').click();
  await setTheme(page, true);
  await expect(page.getByRole('heading', { name: 'Invoice' })).toBeVisible();
  await expect(page.getByTestId('open-payment')).toContainText('Scan with any QRIS app');
  await shot(page, testInfo, 'invoice-payment-en-dark');
  await page.getByTestId('lang-id').click();
  await setTheme(page, false);

  // The sandbox checkout says it is a sandbox and settles the invoice.
  await page.getByTestId('checkout-link').click();
  await expect(page).toHaveURL(new RegExp(`/pay/sandbox/${reference}$`));
  await hydrated(page);
  await expect(page.getByTestId('sandbox-banner')).toContainText('Tidak ada uang sungguhan');
  await expect(page.getByTestId('sandbox-amount')).toHaveText('Rp 849.150');
  await shot(page, testInfo, 'sandbox-checkout-id');
  await page.getByTestId('sandbox-pay').click();

  // Back on the invoice: paid, and the order moves on to a running server by itself.
  await expect(page).toHaveURL(invoiceUrl);
  await expect(page.getByTestId('invoice').getByTestId('invoice-status')).toHaveAttribute('data-status', 'paid');
  await expect(page.getByTestId('invoice-paid-notice')).toBeVisible();
  await expect(page.getByTestId('paid-at')).toContainText('sandbox');
  const panel = page.getByTestId('order-panel');
  await expect(panel.getByTestId('order-status')).toHaveAttribute('data-status', 'active', { timeout: 30_000 });
  await expect(page.getByTestId('payments').getByTestId('payment-status')).toHaveAttribute('data-status', 'paid');
  await shot(page, testInfo, 'invoice-paid-id');
  await page.getByTestId('lang-en').click();
  await setTheme(page, true);
  await expect(page.getByTestId('invoice-paid-notice')).toContainText('Paid. Thank you!');
  await shot(page, testInfo, 'invoice-paid-en-dark');
  await page.getByTestId('lang-id').click();
  await setTheme(page, false);

  // Printing shows the document alone.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('header').first()).toBeHidden();
  await expect(page.getByTestId('payment')).toBeHidden();
  await expect(page.getByTestId('invoice')).toBeVisible();
  await shot(page, testInfo, 'invoice-print-id');
  await page.emulateMedia({ media: 'screen' });

  // The order: active, paid for a year, its history in words, and the way to its server.
  await panel.getByTestId('order-link').click();
  await expect(page).toHaveURL(/\/orders\/\d+$/);
  await hydrated(page);
  const orderUrl = page.url();
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'active');
  await expect(page.getByTestId('paid-until')).toHaveText(/^\d{4}-\d{2}-\d{2} /);
  await expect(page.getByText('Ubuntu 24.04 LTS')).toBeVisible();
  const events = page.getByTestId('order-events');
  await expect(events).toContainText('Pesanan dibuat: Menunggu pembayaran');
  await expect(events).toContainText('Menunggu pembayaran → Lunas');
  await expect(events).toContainText('Lunas → Server disiapkan');
  await expect(events).toContainText('Server disiapkan → Aktif');
  await expect(page.getByTestId('order-invoices').getByTestId('invoice-status')).toHaveAttribute('data-status', 'paid');
  await expect(page.getByTestId('pay-link')).toHaveCount(0);
  await shot(page, testInfo, 'order-active-id');

  await page.getByTestId('server-link').click();
  await expect(page).toHaveURL(/\/servers\/\d+$/);
  await expect(page.getByTestId('server-hostname')).toHaveText('web-budi');
  await expect(page.getByTestId('server-status')).toHaveAttribute('data-status', 'running');
  await expect(page.getByTestId('ipv4')).toHaveText(/^192\.0\.2\.\d+$/);
  await shot(page, testInfo, 'server-from-order-id');

  // The lists, from the header's links.
  await page.getByTestId('orders-link').click();
  await expect(page).toHaveURL(/\/orders$/);
  const row = page.getByTestId('order-row').filter({ hasText: 'web-budi' });
  await expect(row.getByTestId('order-status')).toHaveAttribute('data-status', 'active');
  await expect(row).toContainText(PLAN);
  await shot(page, testInfo, 'my-orders-id');
  await page.getByTestId('invoices-link').click();
  await expect(page).toHaveURL(/\/invoices$/);
  await expect(page.getByTestId('invoice-row')).toHaveCount(1);
  await expect(page.getByTestId('invoice-row').getByTestId('invoice-status')).toHaveAttribute('data-status', 'paid');
  await shot(page, testInfo, 'my-invoices-id');

  // On a phone the invoice and the order still fit the screen's width.
  await page.setViewportSize({ width: 360, height: 740 });
  for (const url of [invoiceUrl, orderUrl]) {
    await page.goto(url);
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, url).toBeLessThanOrEqual(0);
  }
  await shot(page, testInfo, 'order-phone-id');
  await page.goto(invoiceUrl);
  await hydrated(page);
  // Each line is a card whose cells carry their column's heading; the line is in her language.
  const firstCell = page.getByTestId('invoice-lines').locator('tbody td').first();
  await expect(firstCell).toContainText('web-budi (12 bulan)');
  expect(await cardLabel(firstCell)).toBe('Keterangan');
  await shot(page, testInfo, 'invoice-phone-id');
  // Drawn in the browser after a client-side navigation, and again in another language.
  await page.getByTestId('menu-button').click();
  await page.getByTestId('invoices-link').click();
  await expect(page).toHaveURL(/\/invoices$/);
  const cells = page.getByTestId('invoice-row').first().locator('td');
  await expect.poll(() => cardLabel(cells.nth(0))).toBe('Nomor tagihan');
  if (!(await page.getByTestId('lang-en').isVisible())) await page.getByTestId('menu-button').click();
  await page.getByTestId('lang-en').click();
  await expect.poll(() => cardLabel(cells.nth(0))).toBe('Invoice number');
  expect(await cardLabel(cells.nth(3))).toBe('Total');
  // On a phone the theme switch is in the folded menu.
  if (!(await page.getByTestId('theme-toggle').isVisible())) await page.getByTestId('menu-button').click();
  await setTheme(page, true);
  if (await page.getByTestId('main-menu').isVisible()) await page.getByTestId('menu-button').click();
  await shot(page, testInfo, 'invoices-phone-en-dark');
  await page.goto('/invoices?lang=id');
  // At a desktop's width the same table is a table again, with no labels in its cells.
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(await cardLabel(page.getByTestId('invoice-row').first().locator('td').first())).toBe('');
});

test('a payment left to expire shows expired and the invoice can still be paid another way', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  await verifiedCustomer(page, browser, { name: 'Rina Wijaya', email: `rina-order-${RUN}@example.com`, password: PASSWORD });

  // From the wizard's first step this time.
  await page.goto('/order');
  await hydrated(page);
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'plan');
  await page.locator(`[data-testid="choose-plan"][data-plan="${PLAN}"]`).click();
  await chooseUpToDetails(page, 'Debian 12');
  await page.getByLabel('Nama host').fill('web-rina');
  await page.getByTestId('to-review').click();
  // One month: no period discount, Rp 75.000 + PPN Rp 8.250.
  await expect(page.getByTestId('price-period-discount')).toHaveCount(0);
  await expect(page.getByTestId('price-total')).toContainText('Rp 83.250');
  await page.getByTestId('place-order').click();
  await expect(page).toHaveURL(/\/invoices\/\d+$/);
  await hydrated(page);
  const invoiceUrl = page.url();

  // A virtual account this time: a pay code instead of a QR.
  await page.getByTestId('channels').getByLabel(/BRI Virtual Account/).check();
  await page.getByTestId('pay').click();
  const open = page.getByTestId('open-payment');
  await expect(open.getByTestId('pay-code')).toHaveText(/^8808\d+$/);
  await expect(open.getByTestId('qris')).toHaveCount(0);
  const reference = await open.getAttribute('data-reference');
  await shot(page, testInfo, 'invoice-va-id');

  await page.getByTestId('checkout-link').click();
  await expect(page).toHaveURL(new RegExp(`/pay/sandbox/${reference}$`));
  await hydrated(page);
  await page.getByTestId('sandbox-expire').click();

  // The sandbox's "let it expire" ends the payment attempt, not the invoice: the invoice stays
  // unpaid (until its own time runs out), the order keeps waiting, and another payment can start.
  await expect(page).toHaveURL(invoiceUrl);
  await expect(page.getByTestId('payment-closed')).toContainText('Kedaluwarsa');
  await expect(page.getByTestId('payments').locator(`li[data-reference="${reference}"]`).getByTestId('payment-status')).toHaveAttribute('data-status', 'expired');
  await expect(page.getByTestId('invoice').getByTestId('invoice-status')).toHaveAttribute('data-status', 'unpaid');
  await expect(page.getByTestId('open-payment')).toHaveCount(0);
  await expect(page.getByTestId('channels')).toBeVisible();
  await expect(page.getByTestId('order-panel').getByTestId('order-status')).toHaveAttribute('data-status', 'pending_payment');
  await shot(page, testInfo, 'invoice-payment-expired-id');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('payment-closed')).toContainText('Expired');
  await shot(page, testInfo, 'invoice-payment-expired-en');
  await page.getByTestId('lang-id').click();

  // OVO charges a phone's OVO account, and Rina gave no phone number: it is listed with the way
  // to add one, and cannot be picked until she has.
  const channels = page.getByTestId('channels');
  await expect(channels.getByLabel(/OVO/)).toBeDisabled();
  await expect(channels.getByTestId('phone-needed')).toContainText('memerlukan nomor telepon Anda');
  await shot(page, testInfo, 'invoice-phone-needed-id');
  await channels.getByTestId('phone-needed').getByRole('link').click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await page.getByLabel('Telepon (opsional, +62…)').fill('0812 3456 7890');
  const profile = page.getByTestId('profile');
  await profile.getByRole('button', { name: 'Simpan', exact: true }).click();
  await expect(profile.getByTestId('form-notice')).toHaveText('Tersimpan.');
  await page.goto(invoiceUrl);
  await hydrated(page);
  await expect(channels.getByTestId('phone-needed')).toHaveCount(0);
  await channels.getByLabel(/OVO/).check();
  await page.getByTestId('pay').click();
  // An e-wallet has neither a pay code nor a QR: the customer approves it on the gateway's page.
  await expect(page.getByTestId('open-payment')).toBeVisible();
  await expect(page.getByTestId('open-payment').getByTestId('pay-code')).toHaveCount(0);
  await expect(page.getByTestId('open-payment').getByTestId('qris')).toHaveCount(0);
  await expect(page.getByTestId('checkout-link')).toBeVisible();

  // The closed payment's checkout offers no buttons any more.
  await page.goto(`/pay/sandbox/${reference}`);
  await hydrated(page);
  await expect(page.getByTestId('payment-status')).toHaveAttribute('data-status', 'expired');
  await expect(page.getByTestId('sandbox-pay')).toHaveCount(0);

  // The order page says it is still waiting, with the way to pay.
  await page.goto('/orders');
  await page.getByTestId('order-row').filter({ hasText: 'web-rina' }).getByRole('link', { name: 'web-rina' }).click();
  await expect(page.getByTestId('order-status').first()).toHaveAttribute('data-status', 'pending_payment');
  await expect(page.getByTestId('pay-link')).toBeVisible();
  await shot(page, testInfo, 'order-waiting-id');
});

test('an unverified e-mail, a bad host name and a taken one are explained and place nothing', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  const customer = { name: 'Agus Salim', email: `agus-order-${RUN}@example.com`, password: PASSWORD };
  await signUp(page, customer.name, customer.email, customer.password);
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);

  // Not verified yet: the domain's refusal, with the way to verify.
  await startOrder(page);
  await expect(page.getByTestId('unverified-notice')).toBeVisible();
  await chooseUpToDetails(page, 'Ubuntu 24.04 LTS');
  await page.getByLabel('Nama host').fill('web-agus');
  await page.getByTestId('to-review').click();
  await expect(page.getByTestId('form-error')).toContainText('Verifikasi alamat e-mail Anda sebelum memesan.');
  await expect(page.getByTestId('verify-link')).toHaveAttribute('href', '/account');
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'details');
  await shot(page, testInfo, 'wizard-unverified-id');

  await verifyEmail(browser, page, customer.email);
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);

  // A host name that is not RFC 1123, in both languages.
  await startOrder(page);
  await chooseUpToDetails(page, 'Ubuntu 24.04 LTS');
  await page.getByLabel('Nama host').fill('Bad_Name!');
  await page.getByTestId('to-review').click();
  await expect(page.getByTestId('form-error')).toContainText('Gunakan huruf, angka');
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'details');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('form-error')).toContainText('Use letters, digits and hyphens');
  await shot(page, testInfo, 'wizard-bad-hostname-en');
  await page.getByTestId('lang-id').click();

  // The name is checked as it is typed: free now, so the first order for web-agus goes through.
  await page.getByLabel('Nama host').fill('web-agus');
  await expect(page.getByTestId('hostname-check')).toHaveAttribute('data-state', 'free');
  await expect(page.getByTestId('hostname-check')).toHaveText('✓ web-agus tersedia');
  await page.getByTestId('to-review').click();
  await page.getByTestId('place-order').click();
  await expect(page).toHaveURL(/\/invoices\/\d+$/);

  // The second is told it is taken as the name is typed, and cannot go on to the review.
  await startOrder(page);
  await chooseUpToDetails(page, 'Ubuntu 24.04 LTS');
  await page.getByLabel('Nama host').pressSequentially('WEB-AGUS');
  await expect(page.getByTestId('hostname-check')).toHaveAttribute('data-state', 'refused');
  await expect(page.getByTestId('hostname-check')).toHaveText('Anda sudah punya server atau pesanan dengan nama host ini.');
  await page.getByTestId('to-review').click();
  await expect(page.getByTestId('form-error')).toHaveText('Anda sudah punya server atau pesanan dengan nama host ini.');
  await expect(page.getByTestId('wizard')).toHaveAttribute('data-step', 'details');
  await shot(page, testInfo, 'wizard-hostname-taken-id');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('hostname-check')).toHaveText('You already have a server or order with this host name.');
  await shot(page, testInfo, 'wizard-hostname-taken-en');
  await page.getByTestId('lang-id').click();

  // Going back and forth keeps what was typed; nothing more was placed.
  await page.getByTestId('wizard-back').click();
  await page.getByTestId('choose-image').filter({ hasText: 'Ubuntu 24.04 LTS' }).click();
  await expect(page.getByLabel('Nama host')).toHaveValue('WEB-AGUS');
  await page.goto('/orders');
  await expect(page.getByTestId('order-row')).toHaveCount(1);
  await page.goto('/invoices');
  await expect(page.getByTestId('invoice-row')).toHaveCount(1);
});

// The closing count: every order this file's customers placed, by how far it got.
test.afterAll(async ({ request }) => {
  const token = await adminToken(request);
  const answer = await request.get('/api/v1/admin/orders', { headers: { Authorization: `Bearer ${token}` } });
  expect(answer.status(), await answer.text()).toBe(200);
  const orders = ((await answer.json()) as { hostname: string; owner_email: string; status: string }[]).filter((order) =>
    order.owner_email.endsWith(`-${RUN}@example.com`),
  );
  const count = (statuses: string[]) => orders.filter((order) => statuses.includes(order.status)).length;
  const settled = ['active', 'failed', 'cancelled', 'expired', 'suspended', 'terminated'];
  console.log(
    `orders.spec: ${orders.length} orders placed, ${count(['paid', 'provisioning', 'active'])} paid, ` +
      `${count(['active'])} provisioned (active); not settled: ` +
      (orders
        .filter((order) => !settled.includes(order.status))
        .map((order) => `${order.hostname} (${order.status})`)
        .join(', ') || 'none'),
  );
});
