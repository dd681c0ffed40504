// The Open Graph / social card: 1200 × 630, PNG because not every network's crawler takes WebP.
//
// It is drawn from our own SVG (the logo from public/logo.svg, the headline, the region names
// from regions.json) and the light dashboard screenshot hero.mjs made, composited with sharp.
// Run hero.mjs first.
//
//   node scripts/landing-assets/og.mjs   (writes public/images/landing/og-image.png)

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'public/images/landing/og-image.png');
const dashboard = path.join(root, 'public/images/landing/dashboard-light-1280.webp');

const WIDTH = 1200;
const HEIGHT = 630;
// The screenshot sits under the headline in a window frame and runs off the bottom edge: the
// top of the dashboard (header, server cards) is what reads at thumbnail size.
const SHOT = { x: 100, y: 318, width: 1000 };
SHOT.height = Math.round((SHOT.width * 10) / 16);
const BAR = 30; // the window's title bar above the screenshot
const RADIUS = 14;
const FONT = `'Inter','Segoe UI','Helvetica Neue',Arial,'DejaVu Sans',sans-serif`;

const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** public/logo.svg as a nested <svg> at (x, y), so the card always carries the current logo. */
async function logo(x, y, size) {
  const source = await readFile(path.join(root, 'public/logo.svg'), 'utf8');
  const viewBox = source.match(/viewBox="([^"]+)"/)?.[1] ?? '0 0 32 32';
  const inner = source.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  return `<svg x="${x}" y="${y}" width="${size}" height="${size}" viewBox="${viewBox}">${inner}</svg>`;
}

async function background() {
  const regions = JSON.parse(await readFile(path.join(root, 'scripts/landing-assets/regions.json'), 'utf8'));
  const frameTop = SHOT.y - BAR;
  const frameHeight = HEIGHT - frameTop + RADIUS; // runs past the bottom, so only the top is rounded
  const where = regions.map((r) => escape(r.city)).join('  ·  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
<defs>
  <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#e0f2fe"/>
    <stop offset=".55" stop-color="#f8fafc"/>
    <stop offset="1" stop-color="#ffffff"/>
  </linearGradient>
  <radialGradient id="light" cx="1" cy="0" r=".8">
    <stop offset="0" stop-color="#7dd3fc" stop-opacity=".45"/>
    <stop offset="1" stop-color="#7dd3fc" stop-opacity="0"/>
  </radialGradient>
  <filter id="shadow" x="-10%" y="-20%" width="120%" height="140%">
    <feGaussianBlur stdDeviation="14"/>
  </filter>
</defs>
<rect width="${WIDTH}" height="${HEIGHT}" fill="url(#sky)"/>
<rect width="${WIDTH}" height="${HEIGHT}" fill="url(#light)"/>

${await logo(64, 48, 56)}
<text x="136" y="86" font-family="${FONT}" font-size="28" font-weight="700" fill="#0f172a">Webrana Cloud</text>
<circle cx="${WIDTH - 300}" cy="76" r="5" fill="#0284c7"/>
<text x="${WIDTH - 286}" y="82" font-family="${FONT}" font-size="18" font-weight="600" fill="#0369a1">${where}</text>

<g font-family="${FONT}" font-size="54" font-weight="800" fill="#0f172a" letter-spacing="-1">
  <text x="64" y="186">Server cloud cepat, dibayar</text>
  <text x="64" y="252">dengan cara <tspan fill="#0284c7">Indonesia</tspan></text>
</g>

<rect x="${SHOT.x}" y="${frameTop + 10}" width="${SHOT.width}" height="${frameHeight}" rx="${RADIUS}" fill="#0f172a" opacity=".18" filter="url(#shadow)"/>
<rect x="${SHOT.x - 0.5}" y="${frameTop - 0.5}" width="${SHOT.width + 1}" height="${frameHeight}" rx="${RADIUS}" fill="#ffffff" stroke="#cbd5e1"/>
<line x1="${SHOT.x}" x2="${SHOT.x + SHOT.width}" y1="${SHOT.y - 0.5}" y2="${SHOT.y - 0.5}" stroke="#e2e8f0"/>
<g fill="#cbd5e1">
  <circle cx="${SHOT.x + 22}" cy="${frameTop + BAR / 2}" r="5.5"/>
  <circle cx="${SHOT.x + 42}" cy="${frameTop + BAR / 2}" r="5.5"/>
  <circle cx="${SHOT.x + 62}" cy="${frameTop + BAR / 2}" r="5.5"/>
</g>
</svg>`;
}

if (!existsSync(dashboard)) {
  console.error(`og: ${path.relative(root, dashboard)} is missing: run scripts/landing-assets/hero.mjs first.`);
  process.exit(1);
}

const visible = HEIGHT - SHOT.y;
const screenshot = await sharp(dashboard)
  .resize(SHOT.width, SHOT.height)
  .extract({ left: 0, top: 0, width: SHOT.width, height: visible })
  .png()
  .toBuffer();

// A palette PNG keeps the card small; the screenshot's flat UI colours survive it well.
const info = await sharp(Buffer.from(await background()))
  .composite([{ input: screenshot, left: SHOT.x, top: SHOT.y }])
  .flatten({ background: '#ffffff' })
  .png({ compressionLevel: 9, palette: true, quality: 95, effort: 10 })
  .toFile(out);
console.log(`${path.relative(root, out)}  ${info.width}x${info.height}  ${(info.size / 1024).toFixed(1)} KB`);
