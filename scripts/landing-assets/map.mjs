// The landing page's map of Indonesia with a glowing node at every region we sell, in a light
// and a dark variant with the same geometry (the page picks one by its own theme toggle, not by
// prefers-color-scheme, so neither file may depend on the system setting).
//
// Outlines come from Natural Earth through world-atlas (1:50m), so the map is a real one and can
// be regenerated at any time; regions come from regions.json next to this script.
//
//   node scripts/landing-assets/map.mjs   (writes public/images/landing/indonesia-map-*.svg)

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature, merge } from 'topojson-client';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'public/images/landing');

// 48° × 20° onto 960 × 400 is exactly 20 px a degree both ways. Equirectangular needs no
// correction here: at the frame's middle latitude (2° S) cos φ is 0.999.
const WIDTH = 960;
const HEIGHT = 400;
const FRAME = { west: 94, east: 142, south: -12, north: 8 };
const SCALE = WIDTH / (FRAME.east - FRAME.west);
const project = ([lon, lat]) => [(lon - FRAME.west) * SCALE, (FRAME.north - lat) * SCALE];

// Shapes are cut a few pixels outside the frame so that the cut edges never show.
const CLIP = { x0: -4, y0: -4, x1: WIDTH + 4, y1: HEIGHT + 4 };
// Below these a detail is invisible at 960 px, yet it would cost bytes: simplification
// tolerance in pixels, and the smallest island (in square pixels) worth drawing.
const TOLERANCE = 0.45;
const MIN_AREA = 0.6;

const INDONESIA = '360';
// Everything else that shows inside the frame, drawn faintly for context.
const NEIGHBOURS = new Set([
  '458', // Malaysia
  '702', // Singapore
  '096', // Brunei
  '626', // Timor-Leste
  '598', // Papua New Guinea
  '608', // Philippines
  '036', // Australia (and Ashmore and Cartier)
  '764', // Thailand
  '104', // Myanmar
  '704', // Vietnam
  '585', // Palau
  '356', // India (Nicobar Islands)
]);
const CHRISTMAS_ISLAND = 'Indian Ocean Ter.'; // no ISO number in the atlas

const THEMES = {
  light: {
    land: '#cbd5e1', // slate-300: the country, clearly there on a white or slate-50 page
    neighbours: '#f1f5f9', // slate-100, edged in slate-200 so it still reads on slate-50
    coast: '#e2e8f0',
    accent: '#0284c7', // sky-600
    ring: '#ffffff',
    label: '#0f172a', // slate-900
    halo: '#ffffff',
  },
  dark: {
    land: '#334155', // slate-700 on slate-950
    neighbours: '#1e293b', // slate-800
    coast: '#1e293b',
    accent: '#38bdf8', // sky-400
    ring: '#020617',
    label: '#f1f5f9', // slate-100
    halo: '#020617',
  },
};

/** Sutherland–Hodgman against one edge of CLIP; `inside` and `cut` describe that edge. */
function clipEdge(ring, inside, cut) {
  const result = [];
  for (let i = 0; i < ring.length; i++) {
    const current = ring[i];
    const previous = ring[(i + ring.length - 1) % ring.length];
    if (inside(current)) {
      if (!inside(previous)) result.push(cut(previous, current));
      result.push(current);
    } else if (inside(previous)) {
      result.push(cut(previous, current));
    }
  }
  return result;
}

function clipRing(ring) {
  const atX = (x) => (a, b) => [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
  const atY = (y) => (a, b) => [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];
  let r = ring;
  r = clipEdge(r, (p) => p[0] >= CLIP.x0, atX(CLIP.x0));
  r = clipEdge(r, (p) => p[0] <= CLIP.x1, atX(CLIP.x1));
  r = clipEdge(r, (p) => p[1] >= CLIP.y0, atY(CLIP.y0));
  r = clipEdge(r, (p) => p[1] <= CLIP.y1, atY(CLIP.y1));
  return r;
}

function area(ring) {
  let sum = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x0, y0] = ring[i];
    const [x1, y1] = ring[(i + 1) % ring.length];
    sum += x0 * y1 - x1 * y0;
  }
  return sum / 2;
}

/** Douglas–Peucker on an open polyline. */
function simplifyLine(points, tolerance) {
  if (points.length < 3) return points;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [first, last] = stack.pop();
    const [ax, ay] = points[first];
    const [bx, by] = points[last];
    const dx = bx - ax;
    const dy = by - ay;
    const length = Math.hypot(dx, dy);
    let worst = -1;
    let index = -1;
    for (let i = first + 1; i < last; i++) {
      const [px, py] = points[i];
      const distance = length === 0 ? Math.hypot(px - ax, py - ay) : Math.abs(dy * px - dx * py + bx * ay - by * ax) / length;
      if (distance > worst) {
        worst = distance;
        index = i;
      }
    }
    if (worst > tolerance) {
      keep[index] = 1;
      stack.push([first, index], [index, last]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

/** A closed ring simplified from its two farthest-apart halves, so the seam does not matter. */
function simplifyRing(ring) {
  let far = 0;
  let farthest = 0;
  for (let i = 1; i < ring.length; i++) {
    const d = Math.hypot(ring[i][0] - ring[0][0], ring[i][1] - ring[0][1]);
    if (d > farthest) [farthest, far] = [d, i];
  }
  const a = simplifyLine(ring.slice(0, far + 1), TOLERANCE);
  const b = simplifyLine([...ring.slice(far), ring[0]], TOLERANCE);
  return [...a, ...b.slice(1, -1)];
}

const tenths = (value) => Math.round(value * 10);

/** "12.5" → "12.5", "-0.5" → "-.5", "3.0" → "3": every byte counts in a 130-island country. */
function number(t) {
  const text = (Math.abs(t) / 10).toString().replace(/^0\./, '.');
  return t < 0 ? `-${text}` : text;
}

/** Numbers joined by a space, or by nothing where a minus sign already separates them. */
function joined(values) {
  return values.map((t, i) => (i > 0 && t >= 0 ? ' ' : '') + number(t)).join('');
}

/**
 * One path for a whole (multi)polygon: projected, clipped, simplified, rounded to a tenth of a
 * pixel, and written in relative moves. The deltas are taken between already-rounded points, so
 * rounding never accumulates along a coastline.
 */
function pathData(geometry) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let d = '';
  let pen = [0, 0];
  for (const polygon of polygons) {
    for (const ring of polygon) {
      let points = clipRing(ring.slice(0, -1).map(project));
      if (points.length < 3 || Math.abs(area(points)) < MIN_AREA) continue;
      points = simplifyRing(points).map(([x, y]) => [tenths(x), tenths(y)]);
      points = points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
      if (points.length < 3) continue;
      const [start, ...rest] = points;
      // A path's first "m" counts as absolute (pen at 0,0); later ones move from the last ring.
      d += `m${joined([start[0] - pen[0], start[1] - pen[1]])}`;
      let previous = start;
      const deltas = [];
      for (const point of rest) {
        deltas.push(point[0] - previous[0], point[1] - previous[1]);
        previous = point;
      }
      d += `l${joined(deltas)}z`;
      // After "z" the pen is back at the ring's start.
      pen = start;
    }
  }
  return d;
}

function svg(theme, land, neighbours, regions) {
  const c = THEMES[theme];
  const id = `wr-map-${theme}`;
  const nodes = regions
    .map(({ city, lat, lon }, i) => {
      const [x, y] = project([lon, lat]).map((v) => Math.round(v * 10) / 10);
      // Labels sit up and to the right, over sea (the Java Sea for Jakarta, east of Johor for
      // Singapore), where the halo keeps them readable over any coastline they touch.
      return `<g transform="translate(${x} ${y})">
  <circle r="26" fill="url(#${id}-glow)"/>
  <circle class="pulse" r="6" fill="none" stroke="${c.accent}" stroke-width="2" vector-effect="non-scaling-stroke" style="animation-delay:${(i * 1.2).toFixed(1)}s"/>
  <circle r="5.5" fill="${c.accent}" stroke="${c.ring}" stroke-width="2"/>
  <text x="11" y="-10">${city}</text>
</g>`;
    })
    .join('\n');
  const cities = regions.map((r) => r.city).join(' dan ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${id}-title">
<title id="${id}-title">Peta Indonesia dengan lokasi server Webrana Cloud: ${cities}</title>
<style>
#${id} .pulse{transform-box:fill-box;transform-origin:center;animation:${id}-pulse 2.4s ease-out infinite}
@keyframes ${id}-pulse{0%{transform:scale(1);opacity:.9}100%{transform:scale(3.4);opacity:0}}
@media (prefers-reduced-motion:reduce){#${id} .pulse{animation:none;opacity:.35;transform:scale(1.8)}}
#${id} text{font:600 15px ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;fill:${c.label};stroke:${c.halo};stroke-width:4px;stroke-linejoin:round;paint-order:stroke}
</style>
<defs>
<radialGradient id="${id}-glow">
<stop offset="0" stop-color="${c.accent}" stop-opacity=".45"/>
<stop offset=".45" stop-color="${c.accent}" stop-opacity=".15"/>
<stop offset="1" stop-color="${c.accent}" stop-opacity="0"/>
</radialGradient>
</defs>
<g id="${id}">
<path fill="${c.neighbours}" stroke="${c.coast}" stroke-width=".8" stroke-linejoin="round" d="${neighbours}"/>
<path fill="${c.land}" d="${land}"/>
${nodes}
</g>
</svg>
`;
}

const atlas = JSON.parse(await readFile(path.join(root, 'node_modules/world-atlas/countries-50m.json'), 'utf8'));
const regions = JSON.parse(await readFile(path.join(root, 'scripts/landing-assets/regions.json'), 'utf8'));
const countries = atlas.objects.countries.geometries;
const indonesia = countries.filter((g) => g.id === INDONESIA);
const others = countries.filter((g) => NEIGHBOURS.has(g.id) || g.properties?.name === CHRISTMAS_ISLAND);
if (indonesia.length !== 1) throw new Error('world-atlas has no single Indonesia (360); has its data changed?');

// Merging the neighbours into one shape drops their shared borders, which would only be noise
// in a faint backdrop, and saves the bytes of drawing every border twice.
const land = pathData(feature(atlas, indonesia[0]).geometry);
const neighbours = pathData(merge(atlas, others));

await mkdir(out, { recursive: true });
for (const theme of Object.keys(THEMES)) {
  const file = path.join(out, `indonesia-map-${theme}.svg`);
  const text = svg(theme, land, neighbours, regions);
  await writeFile(file, text);
  console.log(`${path.relative(root, file)}  ${WIDTH}x${HEIGHT}  ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB`);
}
