// What both browser suites share: how Chromium starts, how the suite runs, and the server
// settings every server under test gets.
import type { LaunchOptions, PlaywrightTestConfig } from '@playwright/test';
import path from 'node:path';

export const root = path.resolve(__dirname, '..');

// Debian's own Chromium (never a downloaded browser), headless, with nothing that would phone
// home or differ between machines.
export const chromium = {
  browserName: 'chromium' as const,
  headless: true,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  } as LaunchOptions,
};

// One test at a time: the specs share one server and its database.
export const suite: PlaywrightTestConfig = {
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
};

export const serverEnvironment: Record<string, string> = {
  LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
  LEPTOS_OUTPUT_NAME: 'webrana',
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
};
