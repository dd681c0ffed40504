// Browser tests: Debian's Chromium (never a downloaded browser) against the built server,
// started on a free port with a fresh SQLite database in a temporary folder.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from './chromium';

const root = path.resolve(__dirname, '..');

// Workers load this file again; the environment set here on the first load carries the same
// port and database to them.
if (!process.env.E2E_PORT) {
  process.env.E2E_PORT = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ])
    .toString()
    .trim();
}
if (!process.env.E2E_DATA_DIR) {
  process.env.E2E_DATA_DIR = mkdtempSync(path.join(tmpdir(), 'webrana-e2e-'));
}
const port = process.env.E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    ...chromium,
    trace: 'off',
  },
  webServer: {
    command: `${path.join(root, 'target/debug/server')} serve`,
    cwd: root,
    url: `${baseURL}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      HOST: '127.0.0.1',
      PORT: port!,
      DATABASE_URL: `sqlite://${path.join(process.env.E2E_DATA_DIR!, 'e2e.db')}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
      LEPTOS_OUTPUT_NAME: 'webrana',
      PUBLIC_URL: baseURL,
      // The sandbox cloud at a brisk pace, so the browser tests wait seconds, not minutes.
      SANDBOX_CREATE_SECS: '2',
      SANDBOX_ACTION_SECS: '1',
      // A sandbox server's console is a real QEMU VM (scripts/test installs QEMU and builds the
      // guest); the built-in screen is covered by the Rust tests.
      SANDBOX_VM: 'on',
      SANDBOX_VM_DIR: path.join(root, 'target/sandbox-vm'),
      // The seller every invoice names, as an operator would configure it.
      SELLER_LEGAL_NAME: 'PT Webrana Awan Nusantara',
      SELLER_ADDRESS: 'Jl. Jenderal Sudirman Kav. 1\nJakarta Pusat 10220',
      SELLER_NPWP: '01.234.567.8-901.000',
      RUST_LOG: 'warn',
    },
  },
});
