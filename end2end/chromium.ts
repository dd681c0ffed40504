// How every browser test starts Chromium: Debian's own build (never a downloaded browser),
// headless, with nothing that would phone home or differ between machines.
import type { LaunchOptions } from '@playwright/test';

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
