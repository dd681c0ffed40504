import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { hydrated } from './support';

async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

test('home page is rendered on the server in Bahasa Indonesia', async ({ request }) => {
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('<html lang="id"');
  expect(html).toContain('Server cloud cepat, dibayar dengan cara Indonesia');
  expect(html).toContain('/pkg/webrana.js');
});

test('theme toggle works after hydration and survives a reload', async ({ page }, testInfo) => {
  await page.goto('/');
  await hydrated(page);
  const html = page.locator('html');
  await expect(html).not.toHaveClass(/dark/);
  await screenshot(page, testInfo, 'home-light-id');

  await page.getByTestId('theme-toggle').click();
  await expect(html).toHaveClass(/dark/);
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('aria-label', 'Aktifkan mode terang');
  await screenshot(page, testInfo, 'home-dark-id');

  // The server renders the remembered theme itself, so there is no light flash before hydration.
  const reloaded = await page.reload();
  expect(await reloaded!.text()).toMatch(/<html[^>]* class="dark"/);
  await hydrated(page);
  await expect(html).toHaveClass(/dark/);

  await page.getByTestId('theme-toggle').click();
  await expect(html).not.toHaveClass(/dark/);
});

test('the layout fits a 360 px phone screen', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/');
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // The header is one short bar: the links wait behind the menu button.
  const header = await page.locator('header').boundingBox();
  expect(header!.height).toBeLessThanOrEqual(72);
  await expect(page.getByTestId('main-menu')).toBeHidden();
  await screenshot(page, testInfo, 'home-phone-id');
  await page.screenshot({ path: testInfo.outputPath('home-phone-top-id.png') });
  await page.getByTestId('menu-button').click();
  await expect(page.getByTestId('menu-button')).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId('main-menu').getByRole('link', { name: 'Paket' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Masuk' })).toBeVisible();
  // What the phone shows: the open menu over the top of the page.
  await page.screenshot({ path: testInfo.outputPath('home-phone-menu-id.png') });
  // A link followed from the menu closes it.
  await page.getByTestId('main-menu').getByRole('link', { name: 'Paket' }).click();
  await expect(page).toHaveURL(/\/plans$/);
  await expect(page.getByTestId('main-menu')).toBeHidden();
  await expect(page.getByTestId('menu-button')).toHaveText('Menu');
  // On a wider screen there is no menu button: everything sits in the bar.
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(page.getByTestId('menu-button')).toBeHidden();
  await expect(page.getByTestId('main-menu')).toBeVisible();
});

test('language switch changes every text and is remembered', async ({ page }, testInfo) => {
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Server cloud cepat, dibayar dengan cara Indonesia',
  );

  await page.getByTestId('lang-en').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Fast cloud servers, paid the Indonesian way',
  );
  await expect(page.getByRole('link', { name: 'Home' })).toBeVisible();
  await expect(page).toHaveTitle('Fast VPS in Indonesia, paid with QRIS · Webrana Cloud');
  await page.getByTestId('theme-toggle').click();
  await screenshot(page, testInfo, 'home-dark-en');

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Fast cloud servers, paid the Indonesian way',
  );
  await page.getByTestId('lang-id').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'id');
});

test('status page reports a healthy platform through a server function', async ({ page }, testInfo) => {
  await page.goto('/');
  await hydrated(page);
  // Client-side navigation: the status comes from the server function, not the first render.
  await page.getByRole('navigation', { name: 'Navigasi utama' }).getByRole('link', { name: 'Status' }).click();
  await expect(page).toHaveURL(/\/status$/);
  await expect(page.getByTestId('status-banner')).toHaveText('Semua sistem berjalan normal');
  await expect(page.getByText('Terhubung')).toBeVisible();
  await screenshot(page, testInfo, 'status-id');
});

test('unknown addresses get a real 404 page', async ({ page }, testInfo) => {
  const response = await page.goto('/tidak-ada');
  expect(response!.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Halaman tidak ditemukan');
  await hydrated(page);
  await page.getByRole('link', { name: 'Kembali ke beranda' }).click();
  await expect(page).toHaveURL(/\/$/);
  await screenshot(page, testInfo, 'not-found-back-home');
});
