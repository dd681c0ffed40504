// Browser tests: Debian's Chromium (never a downloaded browser) against the built server,
// started on a free port with a fresh SQLite database in a temporary folder.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, root, serverEnvironment, suite } from './common';

// A port nothing listens on now, asked of a separate Node process: the config must be synchronous.
function freePort(): string {
  return execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ])
    .toString()
    .trim();
}

// Workers load this file again; the environment set here on the first load carries the same
// port and database to them.
if (!process.env.E2E_PORT) {
  process.env.E2E_PORT = freePort();
}
// Where the error-reports spec stands in for Sentry's ingest endpoint.
if (!process.env.E2E_SENTRY_PORT) {
  process.env.E2E_SENTRY_PORT = freePort();
}
if (!process.env.E2E_DATA_DIR) {
  process.env.E2E_DATA_DIR = mkdtempSync(path.join(tmpdir(), 'webrana-e2e-'));
}
const port = process.env.E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  ...suite,
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
      PUBLIC_URL: baseURL,
      ...serverEnvironment,
      // Errors go to a catcher only the error-reports spec listens on; no traces.
      SENTRY_DSN: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${process.env.E2E_SENTRY_PORT}/1`,
      SENTRY_ENVIRONMENT: 'e2e',
      SENTRY_TRACES_SAMPLE_RATE: '0',
    },
  },
});
