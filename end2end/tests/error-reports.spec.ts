// What goes wrong in the browser reaches the error tracker: a real WASM panic and an uncaught
// script error, each reported by the page to /api/v1/client-errors and forwarded by the server,
// scrubbed, to the envelope catcher standing in for Sentry (the server's SENTRY_DSN).
import { expect, test } from '@playwright/test';
import http from 'node:http';
import { hydrated } from './support';

let catcher: http.Server;
const envelopes: string[] = [];

test.beforeAll(async () => {
  catcher = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      envelopes.push(body);
      response.end('{}');
    });
  });
  await new Promise<void>((listening) =>
    catcher.listen(Number(process.env.E2E_SENTRY_PORT), '127.0.0.1', () => listening()),
  );
});

test.afterAll(() => {
  catcher.close();
});

// The event the server forwarded for a browser report whose message holds `marker`.
async function browserEvent(marker: string): Promise<Record<string, any>> {
  let found: Record<string, any> | undefined;
  await expect
    .poll(
      () => {
        for (const envelope of envelopes) {
          for (const line of envelope.split('\n')) {
            if (line.includes(marker) && line.includes('"source":"browser"')) {
              found = JSON.parse(line);
            }
          }
        }
        return found !== undefined;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return found!;
}

test('a panic in the WASM reaches the error tracker, scrubbed', async ({ page }) => {
  await page.goto('/plans');
  await hydrated(page);
  const reported = page.waitForRequest((request) => request.url().endsWith('/api/v1/client-errors'));
  // The same module the page hydrated with; the panic aborts the WASM, so the call throws.
  await page.evaluate(async (message) => {
    const wasm = await import('/pkg/webrana.js' as string);
    try {
      wasm.panic_for_error_report_test(message);
    } catch {
      // The WASM is dead now, as after any panic; the report has been queued already.
    }
  }, 'panic on purpose; root password=hunter2 for budi@example.com');
  const report = JSON.parse((await reported).postData()!);
  expect(report).toMatchObject({ kind: 'panic', route: '/plans' });
  expect(report.message).toContain('panic on purpose');

  const event = await browserEvent('panic on purpose');
  // Sentry leaves the level out when it is `error`, the default.
  expect(event.level).toBeUndefined();
  expect(event.environment).toBe('e2e');
  expect(event.tags).toMatchObject({ source: 'browser', kind: 'panic', route: '/plans' });
  expect(event.contexts.browser.name).toContain('Chrome');
  expect(event.message).toContain('root password=[Filtered]');
  const raw = JSON.stringify(event);
  expect(raw).not.toContain('hunter2');
  expect(raw).not.toContain('budi@example.com');
});

test('an uncaught script error is reported with its page', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const reported = page.waitForRequest((request) => request.url().endsWith('/api/v1/client-errors'));
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('uncaught on purpose, token=abc123');
    });
  });
  expect(JSON.parse((await reported).postData()!)).toMatchObject({ kind: 'error', route: '/' });
  const event = await browserEvent('uncaught on purpose');
  expect(event.tags).toMatchObject({ source: 'browser', kind: 'error', route: '/' });
  expect(event.message).toContain('token=[Filtered]');
  expect(JSON.stringify(event)).not.toContain('abc123');
});
