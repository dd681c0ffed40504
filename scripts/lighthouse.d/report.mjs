// Reads Lighthouse JSON reports: picks the median of repeated runs, and checks the budget.
//
//   node scripts/lighthouse.d/report.mjs median FINAL_PREFIX RUN_PREFIX...
//     Keeps the run whose performance score is the median (a run that errored counts as the
//     lowest) as FINAL_PREFIX.report.{json,html} and removes the others.
//
//   node scripts/lighthouse.d/report.mjs check [--no-budget] KIND|LABEL|PREFIX...
//     One table line per page (the four category scores, LCP ms, CLS, TBT ms) read from
//     PREFIX.report.json, then, for each page over its budget, what failed and the audits to
//     fix first. KIND is `home` (scores ≥ 95, LCP < 1000 ms, CLS < 0.05) or `page` (scores ≥ 95).
//     Exits 1 when a budget fails (never with --no-budget), 2 on a bad call.

import fs from 'node:fs';

const CATEGORIES = [
  ['performance', 'perf'],
  ['accessibility', 'a11y'],
  ['best-practices', 'bp'],
  ['seo', 'seo'],
];
const MIN_SCORE = 95;
const HOME_LCP_MS = 1000;
const HOME_CLS = 0.05;
// How many failing audits to list per failed budget item, and example elements per audit.
const TOP_AUDITS = 6;
const EXAMPLES = 3;

function readReport(prefix) {
  const file = `${prefix}.report.json`;
  if (!fs.existsSync(file)) return { file, error: 'no report written' };
  try {
    return { file, lhr: JSON.parse(fs.readFileSync(file, 'utf8')) };
  } catch (error) {
    return { file, error: `unreadable report: ${error.message}` };
  }
}

const score = (lhr, id) => {
  const value = lhr.categories?.[id]?.score;
  return typeof value === 'number' ? Math.round(value * 100) : null;
};
const numeric = (lhr, id) => {
  const value = lhr.audits?.[id]?.numericValue;
  return typeof value === 'number' ? value : null;
};

function median(finalPrefix, runPrefixes) {
  const runs = runPrefixes.map((prefix) => {
    const { lhr } = readReport(prefix);
    const perf = lhr && !lhr.runtimeError ? score(lhr, 'performance') : null;
    return { prefix, perf: perf ?? -1 };
  });
  const sorted = [...runs].sort((a, b) => a.perf - b.perf);
  const kept = sorted[Math.floor((sorted.length - 1) / 2)];
  for (const ext of ['json', 'html']) {
    const from = `${kept.prefix}.report.${ext}`;
    if (fs.existsSync(from)) fs.renameSync(from, `${finalPrefix}.report.${ext}`);
  }
  for (const run of runs) {
    for (const ext of ['json', 'html']) fs.rmSync(`${run.prefix}.report.${ext}`, { force: true });
  }
  const shown = runs.map((run) => (run.perf < 0 ? 'error' : run.perf)).join(', ');
  console.log(`    performance over ${runs.length} runs: ${shown}; kept the median (${kept.perf < 0 ? 'error' : kept.perf})`);
}

/** A few concrete places an audit points at: element snippets, selectors, URLs, LCP phases. */
function examples(audit) {
  const found = [];
  const visit = (details) => {
    if (!details) return;
    if (details.type === 'list') {
      for (const item of details.items ?? []) visit(item);
      return;
    }
    if (details.type === 'node') {
      const text = details.snippet ?? details.selector;
      if (text) found.push(text);
      return;
    }
    if (details.type === 'checklist') {
      // An insight's checks (e.g. "fetchpriority=high applied"): the ones not met.
      for (const check of Object.values(details.items ?? {})) {
        if (check && check.value === false) found.push(`not met: ${check.label}`);
      }
      return;
    }
    if (!Array.isArray(details.items)) return;
    let shown = 0;
    for (const item of details.items) {
      // The LCP element's breakdown: a short table of phases, shown whole.
      if (typeof item.phase === 'string' && typeof item.timing === 'number') {
        found.push(`${item.phase}: ${Math.round(item.timing)} ms`);
        continue;
      }
      if (shown >= EXAMPLES) break;
      shown++;
      const node = item.node ?? (item.element?.type === 'node' ? item.element : null);
      if (node) {
        const text = node.snippet ?? node.selector ?? node.nodeLabel;
        if (text) found.push(node.nodeLabel && node.snippet ? `${text} ("${node.nodeLabel}")` : text);
        continue;
      }
      const url = typeof item.url === 'string' ? item.url : item.source?.url;
      if (url) {
        const extra = [];
        if (item.wastedMs > 0) extra.push(`${Math.round(item.wastedMs)} ms`);
        if (typeof item.cacheLifetimeMs === 'number') extra.push(`cached ${Math.round(item.cacheLifetimeMs / 1000)} s`);
        else if (item.wastedBytes > 0) extra.push(`${Math.round(item.wastedBytes / 1024)} KiB wasted`);
        else if (item.totalBytes > 0) extra.push(`${Math.round(item.totalBytes / 1024)} KiB`);
        found.push(extra.length ? `${url} (${extra.join(', ')})` : url);
        continue;
      }
      if (typeof item.label === 'string' && typeof item.duration === 'number') {
        found.push(`${item.label}: ${Math.round(item.duration)} ms`);
      } else {
        shown--;
      }
    }
  };
  visit(audit.details);
  return found.map((text) => text.replace(/\s+/g, ' ').slice(0, 200));
}

/** Failing audits of one category, the most costly first. */
function failingAudits(lhr, categoryId) {
  const category = lhr.categories?.[categoryId];
  if (!category) return [];
  const failing = [];
  for (const ref of category.auditRefs) {
    if (ref.group === 'hidden') continue;
    // Outside performance an audit of weight 0 does not move the score.
    if (categoryId !== 'performance' && ref.weight === 0) continue;
    const audit = lhr.audits[ref.id];
    if (!audit) continue;
    const mode = audit.scoreDisplayMode;
    if (mode === 'error') {
      failing.push({ audit, rank: 1e9 });
      continue;
    }
    if (!['binary', 'numeric', 'metricSavings'].includes(mode)) continue;
    if (audit.score === null || audit.score >= 0.9) continue;
    const savings = audit.metricSavings ?? {};
    const savedMs = (savings.LCP ?? 0) + (savings.FCP ?? 0) + (savings.TBT ?? 0) + (savings.INP ?? 0);
    const rank = ref.weight * (1 - audit.score) * 1e6 + savedMs + (savings.CLS ?? 0) * 1e4;
    failing.push({ audit, rank });
  }
  return failing.sort((a, b) => b.rank - a.rank);
}

/** Requests to the page's own origin that did not succeed, as `path STATUS`. */
function failedRequests(lhr) {
  const origin = new URL(lhr.finalDisplayedUrl ?? lhr.requestedUrl).origin;
  return (lhr.audits['network-requests']?.details?.items ?? [])
    .filter((item) => item.url.startsWith(origin) && (item.statusCode >= 400 || item.statusCode <= 0))
    .map((item) => `${item.url.slice(origin.length)} ${item.statusCode > 0 ? item.statusCode : 'failed'}`);
}

function printAudit(audit, indent) {
  const value = audit.displayValue ? ` — ${audit.displayValue}` : '';
  const error = audit.scoreDisplayMode === 'error' ? ` — audit error: ${audit.errorMessage}` : '';
  console.log(`${indent}- ${audit.id}: ${audit.title}${value}${error}`);
  if (audit.explanation) console.log(`${indent}    ${audit.explanation.replace(/\s+/g, ' ').slice(0, 300)}`);
  for (const example of examples(audit)) console.log(`${indent}    ${example}`);
}

function check(args) {
  let budget = true;
  const entries = [];
  for (const arg of args) {
    if (arg === '--no-budget') budget = false;
    else {
      const [kind, label, prefix] = arg.split('|');
      if (!['home', 'page'].includes(kind) || !label || !prefix) {
        console.error(`report.mjs: bad entry ${arg}; expected KIND|LABEL|PREFIX`);
        process.exit(2);
      }
      entries.push({ kind, label, prefix });
    }
  }

  const width = Math.max(12, ...entries.map((entry) => entry.label.length));
  const header = [
    'page'.padEnd(width),
    ...CATEGORIES.map(([, short]) => short.padStart(5)),
    'LCP ms'.padStart(8),
    'CLS'.padStart(7),
    'TBT ms'.padStart(8),
    '  budget',
  ].join(' ');
  console.log(header);
  const row = (label, scores, lcp, cls, tbt, verdict) =>
    [
      label.padEnd(width),
      ...scores.map((value) => String(value ?? '-').padStart(5)),
      String(lcp === null ? '-' : Math.round(lcp)).padStart(8),
      (cls === null ? '-' : cls.toFixed(3)).padStart(7),
      String(tbt === null ? '-' : Math.round(tbt)).padStart(8),
      `  ${budget ? verdict : verdict.replace('FAIL', 'over')}`,
    ].join(' ');

  const failures = [];
  const broken = [];
  for (const entry of entries) {
    const { lhr, error, file } = readReport(entry.prefix);
    const problem = error ?? (lhr.runtimeError ? `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` : null);
    if (problem) {
      console.log(row(entry.label, CATEGORIES.map(() => null), null, null, null, 'error'));
      failures.push({ entry, lhr: null, why: [`${file}: ${problem}`] });
      continue;
    }
    const scores = CATEGORIES.map(([id]) => score(lhr, id));
    const lcp = numeric(lhr, 'largest-contentful-paint');
    const cls = numeric(lhr, 'cumulative-layout-shift');
    const tbt = numeric(lhr, 'total-blocking-time');

    const why = [];
    const failedCategories = [];
    CATEGORIES.forEach(([id], i) => {
      if (scores[i] === null || scores[i] < MIN_SCORE) {
        why.push(`${id} ${scores[i] ?? 'n/a'} < ${MIN_SCORE}`);
        failedCategories.push(id);
      }
    });
    const failedMetrics = [];
    if (entry.kind === 'home') {
      if (lcp === null || lcp >= HOME_LCP_MS) {
        why.push(`LCP ${lcp === null ? 'n/a' : Math.round(lcp)} ms ≥ ${HOME_LCP_MS} ms`);
        failedMetrics.push('lcp');
      }
      if (cls === null || cls >= HOME_CLS) {
        why.push(`CLS ${cls === null ? 'n/a' : cls.toFixed(3)} ≥ ${HOME_CLS}`);
        failedMetrics.push('cls');
      }
    }
    console.log(row(entry.label, scores, lcp, cls, tbt, why.length ? 'FAIL' : 'ok'));
    if (why.length) failures.push({ entry, lhr, why, failedCategories, failedMetrics });
    const failed = failedRequests(lhr);
    if (failed.length) broken.push({ entry, failed });
  }

  // A request that failed while Lighthouse loaded the page (a missing image, a file the server
  // would not serve) skews every figure of that page, whatever the budget says.
  for (const { entry, failed } of broken) {
    console.log(`warning: ${entry.label}: ${failed.length} request(s) failed during the run: ${failed.join(', ')}`);
  }

  for (const { entry, lhr, why, failedCategories = [], failedMetrics = [] } of failures) {
    if (!lhr) {
      console.log(`\n${entry.label} has no figures: ${why.join('; ')}`);
      continue;
    }
    console.log(`\n${entry.label} over budget: ${why.join('; ')}`);
    const shown = new Set();
    const show = (audit) => {
      if (shown.has(audit.id)) console.log(`    - ${audit.id} (above)`);
      else printAudit(audit, '    ');
      shown.add(audit.id);
    };
    console.log(`  report: ${entry.prefix}.report.html`);
    for (const id of failedCategories) {
      const audits = failingAudits(lhr, id).slice(0, TOP_AUDITS);
      console.log(`  ${id}: ${audits.length ? 'fix first' : 'no single failing audit (the score is the sum of small losses)'}`);
      for (const { audit } of audits) show(audit);
    }
    if (failedMetrics.includes('lcp')) {
      console.log('  LCP:');
      for (const id of ['largest-contentful-paint-element', 'lcp-discovery-insight', 'render-blocking-insight']) {
        const audit = lhr.audits[id];
        if (audit && audit.scoreDisplayMode !== 'notApplicable') show(audit);
      }
    }
    if (failedMetrics.includes('cls')) {
      console.log('  CLS:');
      for (const id of ['layout-shifts', 'cls-culprits-insight', 'unsized-images', 'font-display-insight']) {
        const audit = lhr.audits[id];
        if (audit && audit.scoreDisplayMode !== 'notApplicable') show(audit);
      }
    }
  }

  if (failures.length && budget) process.exit(1);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'median' && rest.length >= 2) median(rest[0], rest.slice(1));
else if (command === 'check') check(rest);
else {
  console.error('usage: report.mjs median FINAL_PREFIX RUN_PREFIX... | check [--no-budget] KIND|LABEL|PREFIX...');
  process.exit(2);
}
