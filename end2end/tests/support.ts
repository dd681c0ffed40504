// What every browser test needs: waiting for hydration, screenshots, signing up and logging in,
// and the first admin, made with the server's own `create-admin` command as an operator would.
import { expect, type Page, type TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');
export const ADMIN = { email: 'admin@webrana.test', password: 'ruang-server-aman-1' };

export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
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
