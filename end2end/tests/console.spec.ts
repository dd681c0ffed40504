// A customer opens the console of a running sandbox server: the canvas shows the server's own
// screen (real RFB through our proxy), what they type appears on it, and the one-time ticket
// behind the connection cannot be used again, nor by another customer.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { ADMIN, bearer, ensureAdmin, hydrated, logIn, planOnSale, shot, signUp } from './support';

const STAMP = Date.now();
const CUSTOMER = { name: 'Putu Ayu', email: `putu-${STAMP}@example.com`, password: 'kopi-tubruk-pagi-7' };
const OTHER = { name: 'Made Wira', email: `made-${STAMP}@example.com`, password: 'kopi-tubruk-pagi-7' };
const HOSTNAME = 'konsol-putu';
// The sandbox screen is 80 x 25 text cells: the built-in one draws 8 x 16 pixel cells (640 x 400),
// a QEMU VM's VGA text mode 9 x 16 (720 x 400). The shell's prompt after logging in is the same.
const COLUMNS = 80;
const CELL_HEIGHT = 16;
const PROMPT = `root@${HOSTNAME}:~# `;

test.beforeAll(ensureAdmin);

/** A running sandbox server of the customer's, made through the admin API, and its root password. */
async function runningServer(request: APIRequestContext): Promise<{ id: number; rootPassword: string }> {
  const admin = await bearer(request, ADMIN);
  const planId = await planOnSale(request, {
    name: `Konsol ${STAMP}`,
    price_idr_monthly: 75000,
    region_slugs: ['sbx-jkt1'],
    image_slugs: ['debian-12-x64'],
  });
  const customer = await bearer(request, CUSTOMER);
  const me = await (await request.get('/api/v1/me', { headers: customer })).json();
  const made = await request.post('/api/v1/admin/instances', {
    headers: admin,
    data: { user_id: me.id, plan_id: planId, region: 'sbx-jkt1', image: 'debian-12-x64', hostname: HOSTNAME },
  });
  expect(made.status(), await made.text()).toBe(202);
  const id = (await made.json()).id as number;
  await expect
    .poll(async () => (await (await request.get(`/api/v1/instances/${id}`, { headers: customer })).json()).instance?.status, { timeout: 30_000 })
    .toBe('running');
  const revealed = await request.post(`/api/v1/instances/${id}/root-password`, { headers: customer });
  expect(revealed.status(), await revealed.text()).toBe(200);
  return { id, rootPassword: (await revealed.json()).root_password as string };
}

/** The canvas's pixels of `count` cells from (`row`, `column`), as one string, and whether any is lit. */
async function cells(page: Page, row: number, column: number, count: number) {
  return page.getByTestId('console-canvas').evaluate(
    (canvas: HTMLCanvasElement, [row, column, count, columns, cellHeight]) => {
      const cellWidth = canvas.width / columns;
      const [x, y, width, height] = [column * cellWidth, row * cellHeight, count * cellWidth, cellHeight];
      const data = canvas.getContext('2d')!.getImageData(x, y, width, height).data;
      let lit = false;
      const bits: string[] = [];
      for (let i = 0; i < data.length; i += 4) {
        const on = data[i] + data[i + 1] + data[i + 2] > 300;
        lit ||= on;
        bits.push(on ? '#' : '.');
      }
      return { pattern: bits.join(''), lit };
    },
    [row, column, count, COLUMNS, CELL_HEIGHT],
  );
}

/** The first row that the row below repeats pixel for pixel over `count` cells, lit; -1 if none. */
async function repeatedRow(page: Page, count: number) {
  for (let row = 0; row < 24; row += 1) {
    const [upper, lower] = [await cells(page, row, 0, count), await cells(page, row + 1, 0, count)];
    if (upper.lit && upper.pattern === lower.pattern) return row;
  }
  return -1;
}

/** How many text rows hold writing: lit pixels in at least two cells (the cursor alone is one). */
async function writtenRows(page: Page) {
  return page.getByTestId('console-canvas').evaluate(
    (canvas: HTMLCanvasElement, [columns, cellHeight]) => {
      const cellWidth = canvas.width / columns;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let rows = 0;
      for (let top = 0; top + cellHeight <= canvas.height; top += cellHeight) {
        const litCells = new Set<number>();
        for (let y = top; y < top + cellHeight; y += 1) {
          for (let x = 0; x < canvas.width; x += 1) {
            const i = (y * canvas.width + x) * 4;
            if (data[i] + data[i + 1] + data[i + 2] > 300) litCells.add(Math.floor(x / cellWidth));
          }
        }
        if (litCells.size >= 2) rows += 1;
      }
      return rows;
    },
    [COLUMNS, CELL_HEIGHT],
  );
}

/** Types `line` and Enter once the screen has answered the last one: a login flushes what was
 * typed ahead of its next prompt, so each line waits until new rows appeared and stayed. */
async function typeLine(page: Page, line: string) {
  const before = await writtenRows(page);
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  let last = -1;
  let steady = 0;
  await expect
    .poll(
      async () => {
        const now = await writtenRows(page);
        steady = now === last ? steady + 1 : 0;
        last = now;
        return now > before && steady >= 2;
      },
      { timeout: 30_000, intervals: [500] },
    )
    .toBe(true);
}

/** Tries a console WebSocket from `page`: whether it opened. */
async function tryConsole(page: Page, url: string): Promise<'open' | 'refused'> {
  return page.evaluate(
    (url) =>
      new Promise<'open' | 'refused'>((resolve) => {
        const socket = new WebSocket(url);
        socket.onopen = () => {
          socket.close();
          resolve('open');
        };
        socket.onclose = () => resolve('refused');
      }),
    url,
  );
}

test('a customer opens the console of a running server, sees its screen and types on it', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(120_000);
  await signUp(page, CUSTOMER.name, CUSTOMER.email, CUSTOMER.password);
  const { id, rootPassword } = await runningServer(request);

  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto(`/servers/${id}`);
  await hydrated(page);
  const sockets: string[] = [];
  page.on('websocket', (socket) => {
    if (socket.url().includes('/ws/console/')) sockets.push(socket.url());
  });
  await page.getByTestId('open-console').click();
  await expect(page).toHaveURL(new RegExp(`/servers/${id}/console$`));
  await hydrated(page);

  // Connected, and the server's screen drawn: its boot log ends at a login prompt.
  const canvas = page.getByTestId('console-canvas');
  await expect(page.getByTestId('console-status')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
  await expect(canvas).toHaveAttribute('data-width', /^(640|720)$/);
  await expect(canvas).toHaveAttribute('data-height', '400');
  await expect.poll(async () => Number(await canvas.getAttribute('data-frames')), { timeout: 10_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await cells(page, 0, 0, 40)).lit, { timeout: 10_000 }).toBe(true);
  // The speed readout covers part of the screen: it shows only when asked for.
  await expect(page.getByTestId('console-stats')).toHaveCount(0);
  await page.getByTestId('console-stats-toggle').click();
  await expect(page.getByTestId('console-stats-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('console-stats')).toContainText('fps');
  await shot(page, testInfo, 'console-login-prompt');

  // Typed on the canvas. A VM boots first; its login prompt is there once an empty Enter makes
  // it print the prompt again on the next row.
  await canvas.click();
  const prompt = `${HOSTNAME} login: `.length;
  await expect
    .poll(
      async () => {
        if ((await repeatedRow(page, prompt)) >= 0) return true;
        await page.keyboard.press('Enter');
        return false;
      },
      { timeout: 60_000, intervals: [2_000] },
    )
    .toBe(true);
  // Log in, then a command whose output repeats what was typed.
  for (const line of ['root', rootPassword, 'echo halo']) {
    await typeLine(page, line);
  }
  // Somewhere on screen a row reads `<prompt>echo halo` and the next one `halo`: the four
  // cells after "echo " are drawn again, pixel for pixel, at the start of the next row.
  const echoColumn = PROMPT.length + 'echo '.length;
  await expect
    .poll(
      async () => {
        for (let row = 0; row < 24; row += 1) {
          const typed = await cells(page, row, echoColumn, 4);
          const echoed = await cells(page, row + 1, 0, 4);
          if (typed.lit && typed.pattern === echoed.pattern) return row;
        }
        return -1;
      },
      { timeout: 10_000 },
    )
    .toBeGreaterThanOrEqual(0);
  await shot(page, testInfo, 'console-echo');

  // The on-screen ↑ (for a phone, whose keyboard has none) brings the last command back; run
  // again, it prints `halo` once more.
  const echoes = async () => {
    let count = 0;
    for (let row = 0; row < 24; row += 1) {
      const typed = await cells(page, row, echoColumn, 4);
      const echoed = await cells(page, row + 1, 0, 4);
      if (typed.lit && typed.pattern === echoed.pattern) count += 1;
    }
    return count;
  };
  const before = await echoes();
  const keys = page.getByTestId('console-keys');
  await keys.locator('[data-key="Ctrl"]').click();
  await expect(keys.locator('[data-key="Ctrl"]')).toHaveAttribute('aria-pressed', 'true');
  await keys.locator('[data-key="Ctrl"]').click();
  await expect(keys.locator('[data-key="Ctrl"]')).toHaveAttribute('aria-pressed', 'false');
  await keys.getByRole('button', { name: 'Panah atas' }).click();
  await page.keyboard.press('Enter');
  await expect.poll(echoes, { timeout: 10_000 }).toBeGreaterThan(before);
  await shot(page, testInfo, 'console-history-key');
  // The corner readout measures the screen's latency with its own small probe.
  await expect(page.getByTestId('console-stats')).toHaveText(/\d+ fps · \S+ \d+ ms/, { timeout: 10_000 });

  // In English and dark mode, the console and its controls stay readable.
  await page.getByTestId('lang-en').click();
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await expect(page.getByTestId('console-status')).toHaveText(/Connected/);
  await expect(page.getByTestId('console-cad')).toHaveText('Send Ctrl+Alt+Del');
  await shot(page, testInfo, 'console-dark-en');
  await page.getByTestId('theme-toggle').click();
  await page.getByTestId('lang-id').click();

  // The page's ticket is spent: the same URL opens nothing, for this customer or another.
  expect(sockets.length).toBeGreaterThan(0);
  const used = sockets[0];
  expect(await tryConsole(page, used)).toBe('refused');
  // A fresh ticket of the customer's, presented from another customer's session, is refused.
  const fresh = await page.request.post('/api/console/open', {
    form: { id: String(id) },
    headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' },
  });
  expect(fresh.status(), await fresh.text()).toBe(200);
  const path = (await fresh.json()).Proxy.path as string;
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await signUp(other, OTHER.name, OTHER.email, OTHER.password);
  await logIn(other, OTHER.email, OTHER.password);
  await expect(other).toHaveURL(/\/dashboard$/);
  const origin = new URL(other.url());
  expect(await tryConsole(other, `ws://${origin.host}${path}`)).toBe('refused');
  await otherContext.close();

  // The console still works after all that, and a reconnect gets a fresh ticket by itself.
  await expect(page.getByTestId('console-status')).toHaveAttribute('data-state', 'connected');
  await page.getByTestId('console-back').click();
  await expect(page).toHaveURL(new RegExp(`/servers/${id}$`));
});
