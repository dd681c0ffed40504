// Puts three plans on sale on the `sandbox` provider through the REST API, so the landing page's
// pricing section and /plans have something to show when Lighthouse looks at them.
//
//   node scripts/lighthouse.d/seed-plans.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD
//
// The admin must exist (`server create-admin`); admins made that way are verified and have no
// second factor, so the plain log-in answers the tokens. Steps: POST /api/v1/auth/login, POST
// /api/v1/admin/catalog/sync (the job runs within seconds), wait until the sandbox sizes show in
// GET /api/v1/admin/catalog/sizes, then POST /api/v1/admin/plans three times. Prints one line.

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: seed-plans.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD');
  process.exit(2);
}

const IMAGES = ['ubuntu-24-04-x64', 'debian-12-x64', 'almalinux-9-x64', 'rockylinux-9-x64'];
// Sizes and regions as domain/src/providers/sandbox.rs offers them (sbx-2c-4g is not in Tokyo).
const PLANS = [
  { name: 'Basic', size_slug: 'sbx-1c-1g', price_idr_monthly: 75_000, sort_order: 1 },
  { name: 'Standard', size_slug: 'sbx-2c-2g', price_idr_monthly: 150_000, sort_order: 2 },
  { name: 'Pro', size_slug: 'sbx-2c-4g', price_idr_monthly: 300_000, sort_order: 3 },
].map((plan) => ({
  provider: 'sandbox',
  discount_3m_percent: 5,
  discount_6m_percent: 10,
  discount_12m_percent: 15,
  region_slugs: ['sbx-jkt1', 'sbx-sgp1'],
  image_slugs: IMAGES,
  visible: true,
  ...plan,
}));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(path, base), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below with the raw text.
  }
  return { status: response.status, json, text };
}

function fail(what, answer) {
  console.error(`seed-plans: ${what} answered HTTP ${answer.status}: ${answer.text.slice(0, 500)}`);
  process.exit(1);
}

const login = await call('POST', '/api/v1/auth/login', { body: { email, password } });
if (login.status !== 200 || !login.json?.access_token) fail('POST /api/v1/auth/login', login);
const token = login.json.access_token;

const sync = await call('POST', '/api/v1/admin/catalog/sync', { token });
if (sync.status !== 202) fail('POST /api/v1/admin/catalog/sync', sync);

const wanted = new Set(PLANS.map((plan) => plan.size_slug));
const deadline = Date.now() + 60_000;
for (;;) {
  const sizes = await call('GET', '/api/v1/admin/catalog/sizes', { token });
  if (sizes.status !== 200) fail('GET /api/v1/admin/catalog/sizes', sizes);
  const synced = sizes.json.filter((size) => size.provider === 'sandbox' && size.available);
  if ([...wanted].every((slug) => synced.some((size) => size.slug === slug))) break;
  if (Date.now() > deadline) {
    console.error('seed-plans: the sandbox catalog did not sync within 60 s');
    process.exit(1);
  }
  await sleep(500);
}

for (const plan of PLANS) {
  // Sizes, regions and images of one provider are stored by one sync; retry briefly anyway in
  // case the size list showed before the images did.
  for (let attempt = 1; ; attempt++) {
    const answer = await call('POST', '/api/v1/admin/plans', { token, body: plan });
    if (answer.status === 201) break;
    if (answer.status !== 422 || attempt >= 20) fail(`POST /api/v1/admin/plans (${plan.name})`, answer);
    await sleep(500);
  }
}

const offered = await call('GET', '/api/v1/catalog/plans');
if (offered.status !== 200) fail('GET /api/v1/catalog/plans', offered);
console.log(
  `${offered.json.length} plans on sale: ` +
    offered.json.map((plan) => `${plan.name} (${plan.price_idr_monthly} IDR/month)`).join(', '),
);
if (offered.json.length !== PLANS.length) {
  console.error(`seed-plans: expected ${PLANS.length} public plans`);
  process.exit(1);
}
