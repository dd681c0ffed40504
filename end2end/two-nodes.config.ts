// The two-node browser test: the same walk a customer takes, through HAProxy in front of two
// `server` processes that share one PostgreSQL database and Redis (two-nodes/setup.ts starts
// them). Run with `npx playwright test -c two-nodes.config.ts`.
import { defineConfig } from '@playwright/test';
import { chromium, suite } from './common';
import { cluster } from './two-nodes/cluster';

export default defineConfig({
  testDir: './two-nodes',
  outputDir: './test-results/two-nodes',
  globalSetup: './two-nodes/setup.ts',
  ...suite,
  use: {
    baseURL: cluster.url,
    ...chromium,
    trace: 'off',
  },
});
