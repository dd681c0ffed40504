// What every browser test needs: waiting for hydration, screenshots, signing up and logging in,
// and the first admin, made with the server's own `create-admin` command as an operator would.
import { expect, type APIRequestContext, type Browser, type Locator, type Page, type TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');
export const ADMIN = { email: 'admin@webrana.test', password: 'ruang-server-aman-1' };

/** Waits for the page to be interactive. Public pages seen by visitors start the browser half
 * at the first sign of intent only; a key press (Shift, which types nothing) is one. */
export async function hydrated(page: Page) {
  await page.keyboard.press('Shift');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/** Waits until no action is running on the server page and it shows `status`. */
export async function settled(page: Page, status: string, timeout = 20_000) {
  const badge = page.getByTestId('server-status');
  await expect(badge).toHaveAttribute('data-status', status, { timeout });
  await expect(badge).not.toContainText('…', { timeout });
}

/** Asks for a server action; those that cannot be taken back say what they do and wait for a
 * yes, which this gives. */
export async function requestAction(page: Page, action: string) {
  await page.locator(`button[data-action="${action}"]`).click();
  if (action !== 'power_on') {
    const confirm = page.getByTestId('confirm-action');
    await expect(confirm).toHaveAttribute('data-kind', action);
    await confirm.getByTestId('confirm-action-yes').click();
    await expect(confirm).toHaveCount(0);
  }
}

/** Runs a server action on its page and waits for the server to settle in `after`. */
export async function act(page: Page, action: string, after: string, timeout = 20_000) {
  await requestAction(page, action);
  await expect(page.getByTestId('server-status')).toContainText('…');
  await settled(page, after, timeout);
}

export async function logIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Kata sandi').fill(password);
  await page.getByRole('button', { name: 'Masuk' }).last().click();
}

export async function signUp(page: Page, name: string, email: string, password: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Nama lengkap').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Kata sandi').fill(password);
  await page.getByRole('button', { name: 'Daftar' }).last().click();
  await expect(page.getByTestId('form-notice')).toBeVisible();
}

/** Confirms `email` with the link the admin reads in the dev outbox, opened in `page`. */
export async function verifyEmail(browser: Browser, page: Page, email: string) {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await logIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/dashboard$/);
  await admin.goto(`/admin/outbox?to=${encodeURIComponent(email)}`);
  const mail = admin.getByTestId('outbox').locator('li').first();
  await expect(mail).toContainText('Konfirmasi e-mail Anda');
  const body = await mail.locator('pre').innerText();
  const link = body.match(/https?:\/\/\S+\/verify-email\?token=\S+/)![0];
  await adminContext.close();
  await page.goto(link);
  await expect(page.getByTestId('form-notice')).toHaveText('E-mail Anda sudah terverifikasi. Terima kasih!');
}

/** Signs a new customer up, verifies the address through the dev outbox and logs in. */
export async function verifiedCustomer(page: Page, browser: Browser, customer: { name: string; email: string; password: string }) {
  await signUp(page, customer.name, customer.email, customer.password);
  await verifyEmail(browser, page, customer.email);
  await logIn(page, customer.email, customer.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  return customer;
}

/** Switches the site to the dark theme or back, whichever it is in now. */
export async function setTheme(page: Page, dark: boolean) {
  const isDark = ((await page.locator('html').getAttribute('class')) ?? '').includes('dark');
  if (isDark !== dark) await page.getByTestId('theme-toggle').click();
}

/** Makes the first admin unless an earlier test file already did. */
export function ensureAdmin() {
  try {
    execFileSync(path.join(root, 'target/debug/server'), ['create-admin', '--email', ADMIN.email, '--password-stdin'], {
      cwd: root,
      input: `${ADMIN.password}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: `sqlite://${path.join(process.env.E2E_DATA_DIR!, 'e2e.db')}`,
        LEPTOS_OUTPUT_NAME: 'webrana',
        RUST_LOG: 'warn',
      },
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    if (!stderr.includes('already exists')) throw error;
  }
}

/** An `Authorization` header for `who`, logged in through the JSON API. */
export async function bearer(request: APIRequestContext, who: { email: string; password: string }) {
  const login = await request.post('/api/v1/auth/login', { data: { email: who.email, password: who.password } });
  expect(login.status(), await login.text()).toBe(200);
  return { Authorization: `Bearer ${(await login.json()).access_token}` };
}

/**
 * A sandbox plan put on sale through the admin API (1 vCPU / 1 GB, Debian 12, Jakarta), with
 * `fields` overriding any of that; answers its id. Retried while the catalog's first sync runs.
 */
export async function planOnSale(request: APIRequestContext, fields: Record<string, unknown>): Promise<number> {
  const admin = await bearer(request, ADMIN);
  let id = 0;
  await expect(async () => {
    const created = await request.post('/api/v1/admin/plans', {
      headers: admin,
      data: {
        provider: 'sandbox',
        size_slug: 'sbx-1c-1g',
        price_idr_monthly: 75000,
        region_slugs: ['sbx-jkt1'],
        image_slugs: ['debian-12-x64'],
        ...fields,
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    id = (await created.json()).id;
  }).toPass({ timeout: 20_000 });
  return id;
}

/** The heading a table cell shows before its value where its table is drawn as cards (a
 * phone); empty where it is a plain table. */
export async function cardLabel(cell: Locator): Promise<string> {
  const content = await cell.evaluate((element) => getComputedStyle(element, '::before').content);
  return content === 'none' || content === 'normal' ? '' : JSON.parse(content);
}
