// The landing page as a visitor meets it: the plans on sale priced per billing period, ordering
// through sign-up, every link and button leading somewhere real, and screenshots at four widths
// in both themes and both languages.
import { expect, test, type Page } from '@playwright/test';
import { ADMIN, ensureAdmin, hydrated, planOnSale, shot } from './support';

const STAMP = Date.now();
const PLAN = `Beranda ${STAMP}`;
const WIDTHS = [360, 768, 1280, 1920];

test.beforeAll(ensureAdmin);

let planId = 0;
test.beforeAll(async ({ request }) => {
  // First in the list, whatever earlier tests put on sale.
  planId = await planOnSale(request, {
    name: PLAN,
    price_idr_monthly: 120000,
    discount_3m_percent: 5,
    discount_12m_percent: 20,
    region_slugs: ['sbx-jkt1', 'sbx-sgp1'],
    sort_order: -1000,
  });
});

/** Waits until every image in view has loaded, so screenshots show them. */
async function imagesLoaded(page: Page) {
  await expect
    .poll(() =>
      page.evaluate(() =>
        Array.from(document.images)
          .filter((image) => image.loading !== 'lazy' || image.getBoundingClientRect().top < innerHeight)
          .every((image) => image.complete && image.naturalWidth > 0),
      ),
    )
    .toBe(true);
}

test('prices follow the billing period and ordering goes through sign-up to the order form', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const card = page.getByTestId('price-card').filter({ hasText: PLAN });
  await expect(card.getByTestId('price')).toHaveText('Rp 120.000');
  // Its regions, by the names admins gave them (an earlier test renames Jakarta).
  await expect(card).toContainText('Sandbox Singapore 1');
  // The page names the regions on sale, and no cloud: only the sandbox sells here.
  await expect(page.getByTestId('regions-on-sale')).toContainText('Sandbox Singapore 1, SG');
  await expect(page.getByTestId('features-lead')).toHaveText('Server cloud yang dikelola dari satu panel yang cepat, dari pemesanan sampai konsol.');

  await page.getByTestId('period-12').click();
  await expect(page.getByTestId('period-12')).toHaveAttribute('aria-pressed', 'true');
  await expect(card.getByTestId('price')).toHaveText('Rp 96.000');
  await expect(card.getByTestId('price-term')).toHaveText(/Rp 1\.152\.000 untuk 12 bulan\s*hemat 20%/);
  await page.getByTestId('period-3').click();
  await expect(card.getByTestId('price')).toHaveText('Rp 114.000');

  // A visitor's "Order" leads through sign-up; an existing customer logs in from there and
  // lands on the order form with this plan chosen.
  await card.getByTestId('price-order').click();
  await expect(page).toHaveURL(`/signup?next=%2Forder%3Fplan%3D${planId}`);
  await hydrated(page);
  await page.getByTestId('login-link').click();
  await expect(page).toHaveURL(`/login?next=/order%3Fplan%3D${planId}`);
  await hydrated(page);
  await page.getByLabel('E-mail').fill(ADMIN.email);
  await page.getByLabel('Kata sandi').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Masuk' }).last().click();
  await expect(page).toHaveURL(`/order?plan=${planId}`);
  // The plan is chosen already: the form asks where to run it, among the plan's regions.
  await expect(page.getByText('Di mana server dijalankan?')).toBeVisible();
  await expect(page.getByText('Sandbox Singapore 1')).toBeVisible();
});

test('a visitor who only reads loads no WebAssembly, and a button clicked before it runs still works', async ({ page }) => {
  const modules: string[] = [];
  page.on('request', (request) => {
    if (/\/pkg\/.*\.(wasm|js)$/.test(request.url())) modules.push(request.url());
  });
  await page.goto('/');
  await page.waitForLoadState('networkidle');
  // Reading, even scrolled to the bottom by script, starts nothing.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForTimeout(1_500);
  expect(modules).toEqual([]);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');

  // The first click is both the intent and the action: held, then replayed once hydrated.
  const card = page.getByTestId('price-card').filter({ hasText: PLAN });
  await page.getByTestId('period-12').click();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('period-12')).toHaveAttribute('aria-pressed', 'true');
  await expect(card.getByTestId('price')).toHaveText('Rp 96.000');
  expect(modules.some((url) => url.endsWith('.wasm'))).toBe(true);
});

test('every link on the landing page lands on a real page, and every button works', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await hydrated(page);
  const hrefs = await page.locator('a[href]').evaluateAll((links) =>
    Array.from(new Set(links.map((link) => link.getAttribute('href')!))),
  );
  expect(hrefs).toEqual(expect.arrayContaining(['/', '/plans', '/status', '/signup', '/login', '#pricing', '/terms', '/privacy', '/contact']));
  for (const href of hrefs) {
    await page.goto('/');
    await hydrated(page);
    await page.locator(`a[href="${href}"]`).first().click();
    if (href.startsWith('#')) {
      await expect(page).toHaveURL(`/${href}`);
      await expect(page.locator(href)).toBeInViewport();
      continue;
    }
    await expect(page, href).toHaveURL(href);
    await expect(page.locator('h1').first(), href).toBeVisible();
    await expect(page.getByText('Halaman tidak ditemukan'), href).toHaveCount(0);
  }

  // The FAQ opens and closes; the theme and language buttons switch the page.
  await page.goto('/');
  await hydrated(page);
  const question = page.getByTestId('faq').locator('details').first();
  await question.locator('summary').click();
  await expect(question).toHaveAttribute('open', '');
  await expect(question).toContainText('beberapa menit');
  await page.getByTestId('lang-en').click();
  await expect(page.locator('h1')).toHaveText('Fast cloud servers, paid the Indonesian way');
  await expect(page.getByTestId('hero-signup')).toHaveText('Sign up');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass('dark');
  await expect(page.getByTestId('hero-image')).toHaveAttribute('src', /dashboard-dark-1280\.webp$/);
  await expect(page.getByTestId('map')).toHaveAttribute('src', /indonesia-map-dark\.svg$/);
  await page.getByTestId('theme-toggle').click();
  await page.getByTestId('lang-id').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'id');
});

test('the page fits 360 to 1920 pixels in both themes and languages', async ({ page, context }, testInfo) => {
  test.setTimeout(180_000);
  for (const lang of ['id', 'en']) {
    for (const theme of ['light', 'dark']) {
      const url = testInfo.project.use.baseURL!;
      await context.addCookies([
        { name: 'lang', value: lang, url },
        { name: 'theme', value: theme, url },
      ]);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto('/');
        await hydrated(page);
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
        // Nothing wider than the screen: no sideways scrolling on a phone.
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${lang} ${theme} ${width}`).toBeLessThanOrEqual(width);
        // Lazy images load as they scroll in; bring each into view before the full-page shot.
        for (const image of await page.locator('img').all()) await image.scrollIntoViewIfNeeded();
        await page.evaluate(() => window.scrollTo(0, 0));
        await imagesLoaded(page);
        await shot(page, testInfo, `landing-${width}-${theme}-${lang}`);
      }
    }
  }
});

test('each screen fetches the smallest hero file that is still sharp on it', async ({ browser }, testInfo) => {
  // A phone of Lighthouse's mobile profile, a tablet, a laptop and a high-density desktop.
  const screens = [
    { width: 412, height: 823, scale: 1.75 },
    { width: 768, height: 1024, scale: 2 },
    { width: 1280, height: 800, scale: 1 },
    { width: 1920, height: 1080, scale: 2 },
  ];
  for (const { width, height, scale } of screens) {
    const context = await browser.newContext({
      baseURL: testInfo.project.use.baseURL,
      viewport: { width, height },
      deviceScaleFactor: scale,
      // Phones and tablets draw scrollbars over the page, taking no width from it.
      isMobile: width < 1024,
    });
    const page = await context.newPage();
    await page.goto('/');
    const hero = page.getByTestId('hero-image');
    await expect.poll(() => hero.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)).toBe(true);
    const { chosen, offered, shown } = await hero.evaluate((image: HTMLImageElement) => ({
      chosen: Number(/-(\d+)\.webp$/.exec(image.currentSrc)?.[1]),
      offered: image.srcset.split(',').map((candidate) => parseInt(candidate.trim().split(' ')[1], 10)),
      shown: image.getBoundingClientRect().width,
    }));
    const needed = shown * scale;
    const screen = `${width}px at ${scale}x shows it ${shown}px wide`;
    expect(chosen, screen).toBeGreaterThanOrEqual(Math.min(needed, Math.max(...offered)));
    expect(offered.filter((offer) => offer >= needed && offer < chosen), screen).toEqual([]);
    await context.close();
  }
});

test('terms, privacy and contact are real pages in both languages and themes', async ({ page, context }, testInfo) => {
  const url = testInfo.project.use.baseURL!;
  for (const [lang, theme] of [['id', 'light'], ['en', 'dark']]) {
    await context.addCookies([
      { name: 'lang', value: lang, url },
      { name: 'theme', value: theme, url },
    ]);
    for (const path of ['/terms', '/privacy', '/contact']) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator('h1')).toBeVisible();
      await shot(page, testInfo, `${path.slice(1)}-${theme}-${lang}`);
    }
  }
  // The contact page names where to write and who we are, as configured.
  await expect(page.getByTestId('support-email')).toHaveAttribute('href', /^mailto:.+@.+/);
  await expect(page.getByTestId('contact-details')).toContainText('PT Webrana Awan Nusantara');
});
