// One Lighthouse run of one page in one language, with the language set the way a visitor's
// browser has it: as a real `lang` cookie.
//
//   node scripts/lighthouse.d/run-page.mjs URL LANG OUTPUT_PREFIX PROFILE_DIR
//
// Why not `lighthouse --extra-headers '{"Cookie":"lang=en"}'`: that header reaches the server, so
// the page is rendered in English, but `document.cookie` stays empty, so the WebAssembly front end
// (app/src/preferences.rs `read_cookie`) hydrates in Indonesian, the default, and rewrites the
// page: the figures would be those of a hydration mismatch no visitor sees.
//
// So this launches Chromium (CHROME_PATH, flags from LIGHTHOUSE_CHROME_FLAGS) with chrome-launcher,
// the launcher the Lighthouse CLI itself uses, with a fresh profile in PROFILE_DIR; sets the
// cookie over the DevTools protocol (Storage.setCookies; Lighthouse's storage reset leaves
// cookies alone); then runs the Lighthouse CLI from node_modules/.bin against that browser with
// `--port`, writing OUTPUT_PREFIX.report.json and OUTPUT_PREFIX.report.html. Exits with the CLI's
// code. The browser is closed in every case.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [url, lang, outputPrefix, profileDir] = process.argv.slice(2);
if (!url || !lang || !outputPrefix || !profileDir) {
  console.error('usage: run-page.mjs URL LANG OUTPUT_PREFIX PROFILE_DIR');
  process.exit(2);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// chrome-launcher and ws come with lighthouse; resolve them from there, wherever npm put them.
const fromLighthouse = createRequire(createRequire(`${root}/`).resolve('lighthouse/package.json'));
const ChromeLauncher = await import(pathToFileURL(fromLighthouse.resolve('chrome-launcher')).href);
const WebSocket = fromLighthouse('ws');

const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';
const chromeFlags = (process.env.LIGHTHOUSE_CHROME_FLAGS || '--headless=new --no-sandbox --disable-gpu')
  .split(/\s+/)
  .filter(Boolean);

/** Sends one DevTools command to the browser endpoint and answers its result. */
async function browserCommand(port, method, params) {
  const version = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
  const socket = new WebSocket(version.webSocketDebuggerUrl);
  try {
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return await new Promise((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.id !== 1) return;
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id: 1, method, params }));
    });
  } finally {
    socket.close();
  }
}

let chrome;
let child;
// killAll also reaches a browser whose launch is still under way (`chrome` not yet assigned).
const stop = (signal) => {
  child?.kill(signal);
  ChromeLauncher.killAll();
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

let code = 1;
try {
  fs.mkdirSync(profileDir, { recursive: true });
  chrome = await ChromeLauncher.launch({
    chromePath,
    chromeFlags,
    userDataDir: profileDir,
    handleSIGINT: false,
  });

  const origin = new URL(url).origin;
  await browserCommand(chrome.port, 'Storage.setCookies', {
    cookies: [{ name: 'lang', value: lang, url: `${origin}/`, path: '/', sameSite: 'Lax' }],
  });
  const { cookies } = await browserCommand(chrome.port, 'Storage.getCookies', {});
  if (!cookies.some((cookie) => cookie.name === 'lang' && cookie.value === lang)) {
    throw new Error(`the lang=${lang} cookie did not stick`);
  }

  const lighthouse = path.join(root, 'node_modules/.bin/lighthouse');
  const args = [
    url,
    `--port=${chrome.port}`,
    // Ignored while a browser answers on --port, given for the record in the report's settings.
    `--chrome-flags=${chromeFlags.join(' ')}`,
    '--only-categories=performance,accessibility,best-practices,seo',
    '--output=json',
    '--output=html',
    // With two outputs the CLI drops a final extension and adds `.report.<type>` per output.
    `--output-path=${outputPrefix}.json`,
    '--quiet',
  ];
  code = await new Promise((resolve) => {
    child = spawn(lighthouse, args, { stdio: 'inherit', env: { ...process.env, CHROME_PATH: chromePath } });
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
    child.on('error', (error) => {
      console.error(`run-page: cannot start ${lighthouse}: ${error.message}`);
      resolve(1);
    });
  });
} catch (error) {
  console.error(`run-page: ${error.message}`);
  code = 1;
} finally {
  ChromeLauncher.killAll();
}
process.exit(code);
