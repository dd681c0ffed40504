// One stateful HTTP server standing in for DigitalOcean, Vultr and Linode in the browser tests,
// so the real adapters (domain/src/providers/*.rs) talk to something with each cloud's documented
// shapes (the trimmed specs the adapters cite, `../shared/provider-apis/` from the repository
// root) instead of the sandbox. tests/clouds.spec.ts starts it inside the test worker and reads its
// request log and server state to check what the adapters sent. Each API lives under a prefix:
//
//   DIGITALOCEAN_API_URL = <url>/digitalocean      (the adapter adds /v2/…)
//   VULTR_API_URL        = <url>/vultr/v2          (the base includes /v2)
//   LINODE_API_URL       = <url>/linode/v4         (the base includes /v4)
//
// The fixtures are our own values in the documented shapes. Time-driven changes (a droplet
// becoming active, an action finishing) are steps due at a moment and applied on the next request,
// like the sandbox provider, so there are no timers to clean up. Each provider's quirks that the
// adapters are written for are reproduced: DO is `active` a moment before it has an IPv4 and
// refuses a second action with 422 "pending event"; Vultr shows `main_ip` 0.0.0.0 while pending,
// answers power calls with 204 and no body, and refuses calls on a locked server with 400; Linode
// reports progress only as events and refuses a busy Linode with 400 "Linode busy.".
//
// No npm dependencies: node's own http and crypto.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Provider = 'digitalocean' | 'vultr' | 'linode';

export interface MockCloudsOptions {
  /** The token each API accepts as `Authorization: Bearer …`. */
  tokens: Record<Provider, string>;
  /** How long a new server takes to be running with its address (default 2000 ms). */
  bootMs?: number;
  /** How long a power action takes (default 1500 ms). */
  actionMs?: number;
  /**
   * Serve at most this many items a page, whatever page size the client asks for. Real APIs
   * honour the size asked for, but our fixtures are small: a low cap makes every catalog list span
   * several pages, so the adapters' paging (DO `links.pages.next`, Vultr cursors, Linode
   * `pages`) is really exercised. A client must follow the paging links whatever it asked for.
   */
  pageCap?: number;
}

/** One request as the mock received it, for tests to check what an adapter sent. */
export interface RecordedRequest {
  provider: Provider;
  method: string;
  /** The path after the provider's prefix, e.g. `/v2/droplets` or `/instances/…/halt`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

export interface MockClouds {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  /** The `*_API_URL` values for the app. */
  apiUrls: Record<Provider, string>;
  requests: RecordedRequest[];
  /** Servers as the provider sees them now (due changes applied); includes mock-only fields. */
  servers(provider: Provider): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

// ---- shared plumbing ------------------------------------------------------------------------

type Json = Record<string, unknown>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Json;
}

/** Changes due at a moment, applied in order by the next request that arrives after it. */
class Clock {
  private steps: Array<{ at: number; seq: number; apply: () => void }> = [];
  private seq = 0;
  /** While a step is applied: its due time, so steps it schedules count from then, not now. */
  private applying: number | undefined;

  /** The time a change happens at: a step's due time while it is applied. */
  now(): number {
    return this.applying ?? Date.now();
  }

  after(ms: number, apply: () => void) {
    this.steps.push({ at: this.now() + ms, seq: this.seq++, apply });
  }

  settle() {
    const now = Date.now();
    for (;;) {
      this.steps.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const step = this.steps[0];
      if (!step || step.at > now) return;
      this.steps.shift();
      this.applying = step.at;
      try {
        step.apply();
      } finally {
        this.applying = undefined;
      }
    }
  }
}

const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Linode writes times without a zone (they are UTC). */
const linodeTime = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');

/** Addresses come from the documentation ranges, one range per cloud, so none is routable. */
function addressPool(prefix: string, first: number) {
  let next = first;
  return () => `${prefix}.${next++}`;
}

function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  return Number.isInteger(value) ? value : NaN;
}

// ---- DigitalOcean ---------------------------------------------------------------------------
// Base https://api.digitalocean.com, paths /v2/…; envelopes keyed by resource; `page` +
// `per_page` (default 20, max 200) with absolute `links.pages` URLs; errors {id, message}.

const DO_REGIONS = [
  { name: 'Singapore 1', slug: 'sgp1', available: true },
  { name: 'Bangalore 1', slug: 'blr1', available: true },
  { name: 'Sydney 1', slug: 'syd1', available: true },
  // Closed to new droplets: listed, but `available: false`.
  { name: 'San Francisco 1', slug: 'sfo1', available: false },
];

const DO_SIZES = [
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, transfer: 1.0, price_monthly: 6.0, regions: ['sgp1', 'blr1', 'syd1'], available: true, description: 'Basic' },
  { slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, transfer: 2.0, price_monthly: 12.0, regions: ['sgp1', 'blr1', 'syd1'], available: true, description: 'Basic' },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, transfer: 4.0, price_monthly: 24.0, regions: ['sgp1', 'syd1'], available: true, description: 'Basic' },
  { slug: 'c-2', memory: 4096, vcpus: 2, disk: 25, transfer: 4.0, price_monthly: 42.0, regions: ['blr1'], available: true, description: 'CPU-Optimized' },
].map((size) => ({
  ...size,
  price_hourly: Math.round((size.price_monthly / 672) * 100000) / 100000,
  disk_info: [{ type: 'local', size: { amount: size.disk, unit: 'gib' } }],
}));

const DO_IMAGES = [
  { id: 171_400_101, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64', type: 'base', min_disk_size: 15, size_gigabytes: 2.61 },
  { id: 171_400_102, name: '12 x64', distribution: 'Debian', slug: 'debian-12-x64', type: 'base', min_disk_size: 15, size_gigabytes: 1.12 },
  { id: 171_400_103, name: '9 x64', distribution: 'Rocky Linux', slug: 'rockylinux-9-x64', type: 'base', min_disk_size: 15, size_gigabytes: 1.02 },
  // A 1-Click application: `type=application`, never in the `type=distribution` list.
  { id: 171_400_201, name: 'Docker on Ubuntu 24.04', distribution: 'Ubuntu', slug: 'docker-24-04', type: 'application', min_disk_size: 25, size_gigabytes: 3.4 },
].map((image) => ({
  ...image,
  public: true,
  regions: DO_REGIONS.filter((r) => r.available).map((r) => r.slug),
  created_at: '2026-05-04T09:12:00Z',
  description: '',
  tags: [],
  status: 'available',
  error_message: '',
}));

function doRegion(slug: string) {
  const region = DO_REGIONS.find((r) => r.slug === slug)!;
  return {
    ...region,
    features: ['backups', 'ipv6', 'metadata', 'install_agent', 'storage'],
    sizes: DO_SIZES.filter((s) => s.regions.includes(slug)).map((s) => s.slug),
  };
}

interface DoAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
  started_at: string;
  completed_at: string | null;
  resource_id: number;
  resource_type: 'droplet';
  region_slug: string;
}

class DigitalOcean {
  readonly droplets = new Map<number, Json>();
  readonly userData = new Map<number, string>();
  private readonly actions = new Map<number, DoAction>();
  private nextDroplet = 514_000_001;
  private nextAction = 2_201_000_001;
  private readonly ipv4 = addressPool('203.0.113', 20);
  private v6 = 0x20;

  constructor(
    private readonly clock: Clock,
    private readonly options: Required<MockCloudsOptions>,
    private readonly publicBase: () => string,
  ) {}

  static unauthorized(): HttpError {
    return new HttpError(401, { id: 'unauthorized', message: 'Unable to authenticate you.' });
  }

  private error(status: number, id: string, message: string): HttpError {
    return new HttpError(status, { id, message, request_id: randomUUID() });
  }

  handle(req: Request): Reply {
    const { method, path } = req;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/v2/regions') return this.list(req, 'regions', DO_REGIONS.map((r) => doRegion(r.slug)));
    if (method === 'GET' && path === '/v2/sizes') return this.list(req, 'sizes', DO_SIZES);
    if (method === 'GET' && path === '/v2/images') {
      const type = req.query.get('type');
      // `type=distribution` means DigitalOcean's own OS images, whatever their `type` attribute.
      const images = DO_IMAGES.filter((image) =>
        type === 'distribution' ? image.type !== 'application' : type === 'application' ? image.type === 'application' : true,
      );
      return this.list(req, 'images', images);
    }
    if (method === 'GET' && path === '/v2/droplets') {
      const tag = req.query.get('tag_name');
      const name = req.query.get('name');
      const droplets = [...this.droplets.values()].filter(
        (d) => (!tag || (d.tags as string[]).includes(tag)) && (!name || d.name === name),
      );
      return this.list(req, 'droplets', droplets);
    }
    if (method === 'POST' && path === '/v2/droplets') return this.create(req.body);
    if ((m = path.match(/^\/v2\/droplets\/(\d+)$/))) {
      const droplet = this.droplet(m[1]);
      if (method === 'GET') return { status: 200, body: { droplet } };
      if (method === 'DELETE') {
        this.droplets.delete(droplet.id as number);
        return { status: 204 };
      }
    }
    if ((m = path.match(/^\/v2\/droplets\/(\d+)\/actions$/)) && method === 'POST') {
      return this.act(this.droplet(m[1]), req.body);
    }
    if ((m = path.match(/^\/v2\/droplets\/(\d+)\/actions\/(\d+)$/)) && method === 'GET') {
      const droplet = this.droplet(m[1]);
      const action = this.actions.get(Number(m[2]));
      if (!action || action.resource_id !== droplet.id) throw this.notFound();
      return { status: 200, body: { action: this.actionView(action) } };
    }
    if ((m = path.match(/^\/v2\/actions\/(\d+)$/)) && method === 'GET') {
      const action = this.actions.get(Number(m[1]));
      if (!action) throw this.notFound();
      return { status: 200, body: { action: this.actionView(action) } };
    }
    throw this.notFound();
  }

  private notFound() {
    return this.error(404, 'not_found', 'The resource you were accessing could not be found.');
  }

  private droplet(id: string): Json {
    const droplet = this.droplets.get(Number(id));
    if (!droplet) throw this.notFound();
    return droplet;
  }

  /** One page of a collection: `per_page` items from `page`, with absolute `links.pages`. */
  private list(req: Request, key: string, items: unknown[]): Reply {
    const page = intParam(req.query, 'page', 1);
    const perPage = intParam(req.query, 'per_page', 20);
    if (!(page >= 1) || !(perPage >= 1 && perPage <= 200)) {
      throw this.error(400, 'bad_request', 'page must be 1 or more and per_page 1 to 200');
    }
    const size = Math.min(perPage, this.options.pageCap);
    const last = Math.max(1, Math.ceil(items.length / size));
    const link = (n: number) => {
      const query = new URLSearchParams(req.query);
      query.set('page', String(n));
      query.set('per_page', String(perPage));
      return `${this.publicBase()}${req.path}?${query}`;
    };
    const pages: Json = {};
    if (page > 1) Object.assign(pages, { first: link(1), prev: link(Math.min(page - 1, last)) });
    if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
    return {
      status: 200,
      body: { [key]: items.slice((page - 1) * size, page * size), links: { pages }, meta: { total: items.length } },
    };
  }

  private create(body: Json): Reply {
    const name = body.name;
    if (typeof name !== 'string' || !/^[a-zA-Z0-9.-]{1,253}$/.test(name)) {
      throw this.error(422, 'unprocessable_entity', 'Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)');
    }
    const region = DO_REGIONS.find((r) => r.slug === body.region);
    if (!region || !region.available) throw this.error(422, 'unprocessable_entity', 'You specified an invalid region for Droplet creation.');
    const size = DO_SIZES.find((s) => s.slug === body.size);
    if (!size) throw this.error(422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.');
    if (!size.regions.includes(region.slug)) {
      throw this.error(422, 'unprocessable_entity', 'Size is not available in this region.');
    }
    const image = DO_IMAGES.find((i) => i.slug === body.image || i.id === body.image);
    if (!image) throw this.error(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.');
    const tags = body.tags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && /^[a-zA-Z0-9:_-]{1,255}$/.test(t))) {
      throw this.error(422, 'unprocessable_entity', 'Tags may contain letters, numbers, colons, dashes, and underscores.');
    }
    if (body.user_data !== undefined && (typeof body.user_data !== 'string' || body.user_data.length > 64 * 1024)) {
      throw this.error(422, 'unprocessable_entity', 'user_data must be a string of at most 64 KiB.');
    }

    const id = this.nextDroplet++;
    const droplet: Json = {
      id,
      name,
      memory: size.memory,
      vcpus: size.vcpus,
      disk: size.disk,
      disk_info: size.disk_info,
      locked: false,
      status: 'new',
      kernel: null,
      created_at: iso(),
      features: body.ipv6 ? ['ipv6'] : [],
      backup_ids: [],
      next_backup_window: null,
      snapshot_ids: [],
      image: { ...image },
      volume_ids: [],
      size: { ...size },
      size_slug: size.slug,
      networks: { v4: [], v6: [] },
      region: doRegion(region.slug),
      tags,
      vpc_uuid: randomUUID(),
    };
    this.droplets.set(id, droplet);
    if (typeof body.user_data === 'string') this.userData.set(id, body.user_data);

    const action = this.startAction(droplet, 'create', this.options.bootMs);
    // Pitfall 1 of the notes: `active` comes a moment before `networks.v4` is filled in.
    this.clock.after(this.options.bootMs, () => {
      droplet.status = 'active';
    });
    this.clock.after(this.options.bootMs + 600, () => {
      const v6 = (this.v6++).toString(16);
      droplet.networks = {
        v4: [
          { ip_address: `10.104.0.${id % 250}`, netmask: '255.255.240.0', gateway: 'nil', type: 'private' },
          { ip_address: this.ipv4(), netmask: '255.255.255.0', gateway: '203.0.113.1', type: 'public' },
        ],
        v6: body.ipv6 ? [{ ip_address: `2001:db8:d0::${v6}`, netmask: 64, gateway: '2001:db8:d0::1', type: 'public' }] : [],
      };
    });
    return {
      status: 202,
      body: {
        droplet,
        links: { actions: [{ id: action.id, rel: 'create', href: `${this.publicBase()}/v2/actions/${action.id}` }] },
      },
    };
  }

  private startAction(droplet: Json, type: string, takes: number, after?: () => void): DoAction {
    const action: DoAction = {
      id: this.nextAction++,
      status: 'in-progress',
      type,
      started_at: iso(),
      completed_at: null,
      resource_id: droplet.id as number,
      resource_type: 'droplet',
      region_slug: (droplet.region as Json).slug as string,
    };
    this.actions.set(action.id, action);
    this.clock.after(takes, () => {
      action.status = 'completed';
      action.completed_at = iso(this.clock.now());
      after?.();
    });
    return action;
  }

  private actionView(action: DoAction) {
    return { ...action, region: doRegion(action.region_slug) };
  }

  private act(droplet: Json, body: Json): Reply {
    const pending = [...this.actions.values()].some((a) => a.resource_id === droplet.id && a.status === 'in-progress');
    if (pending) throw this.error(422, 'unprocessable_entity', 'Droplet already has a pending event.');
    const type = body.type;
    const settles: Record<string, string> = {
      power_on: 'active',
      power_off: 'off',
      shutdown: 'off',
      reboot: 'active',
      power_cycle: 'active',
      rebuild: 'active',
      password_reset: droplet.status as string,
    };
    if (typeof type !== 'string' || !(type in settles)) {
      throw this.error(422, 'unprocessable_entity', `Action type '${String(type)}' is not supported.`);
    }
    if (type === 'rebuild') {
      const image = DO_IMAGES.find((i) => i.slug === body.image || i.id === body.image);
      if (!image) throw this.error(422, 'unprocessable_entity', 'You specified an invalid image for rebuild.');
      droplet.image = { ...image };
    }
    droplet.locked = true;
    const action = this.startAction(droplet, type, this.options.actionMs, () => {
      droplet.locked = false;
      droplet.status = settles[type];
    });
    return { status: 201, body: { action: this.actionView(action) } };
  }
}

// ---- Vultr ----------------------------------------------------------------------------------
// Base https://api.vultr.com/v2; `per_page` (default 100, max 500) + opaque `cursor`, with
// `meta.links.next` / `prev` ("" when none); errors {error, status}.

const VULTR_REGIONS = [
  { id: 'sgp', city: 'Singapore', country: 'SG', continent: 'Asia', options: ['ddos_protection', 'block_storage_high_perf', 'load_balancers'] },
  { id: 'nrt', city: 'Tokyo', country: 'JP', continent: 'Asia', options: ['ddos_protection', 'load_balancers'] },
  { id: 'syd', city: 'Sydney', country: 'AU', continent: 'Australia', options: ['ddos_protection'] },
];

const VULTR_PLANS = [
  { id: 'vc2-1c-1gb', vcpu_count: 1, ram: 1024, disk: 25, disk_count: 1, bandwidth: 1024, monthly_cost: 5, type: 'vc2', locations: ['sgp', 'nrt', 'syd'] },
  { id: 'vc2-1c-2gb', vcpu_count: 1, ram: 2048, disk: 55, disk_count: 1, bandwidth: 2048, monthly_cost: 10, type: 'vc2', locations: ['sgp', 'nrt', 'syd'] },
  { id: 'vc2-2c-4gb', vcpu_count: 2, ram: 4096, disk: 80, disk_count: 1, bandwidth: 3072, monthly_cost: 20, type: 'vc2', locations: ['sgp', 'nrt'] },
  { id: 'vhf-1c-1gb', vcpu_count: 1, ram: 1024, disk: 32, disk_count: 1, bandwidth: 1024, monthly_cost: 6, type: 'vhf', locations: ['nrt'] },
  // Sold out everywhere: listed with no locations.
  { id: 'vhf-2c-4gb', vcpu_count: 2, ram: 4096, disk: 128, disk_count: 1, bandwidth: 3072, monthly_cost: 24, type: 'vhf', locations: [] as string[] },
];

const VULTR_OS = [
  { id: 2284, name: 'Ubuntu 24.04 LTS x64', arch: 'x64', family: 'ubuntu' },
  { id: 2136, name: 'Debian 12 x64 (bookworm)', arch: 'x64', family: 'debian' },
  { id: 1869, name: 'Rocky Linux 9 x64', arch: 'x64', family: 'rockylinux' },
  // Entries that need something besides an OS id; the adapter must not offer them.
  { id: 159, name: 'Custom', arch: 'x64', family: 'iso' },
  { id: 164, name: 'Snapshot', arch: 'x64', family: 'snapshot' },
  { id: 180, name: 'Backup', arch: 'x64', family: 'backup' },
  { id: 186, name: 'Application', arch: 'x64', family: 'application' },
];

/** Vultr-style generated passwords: mixed case, digits and a few symbols. */
function vultrPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#{}[]!@%=+';
  return [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

class Vultr {
  readonly instances = new Map<string, Json>();
  readonly created: Array<{ id: string; default_password: string; user_data: string | undefined }> = [];
  private readonly ipv4 = addressPool('198.51.100', 30);
  private v6 = 0x30;

  constructor(
    private readonly clock: Clock,
    private readonly options: Required<MockCloudsOptions>,
  ) {}

  static unauthorized(): HttpError {
    return new HttpError(401, { error: 'Invalid API token.', status: 401 });
  }

  private error(status: number, message: string): HttpError {
    return new HttpError(status, { error: message, status });
  }

  handle(req: Request): Reply {
    const { method, path } = req;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/regions') return this.list(req, 'regions', VULTR_REGIONS);
    if (method === 'GET' && path === '/plans') {
      const type = req.query.get('type');
      return this.list(req, 'plans', VULTR_PLANS.filter((p) => !type || type === 'all' || p.type === type));
    }
    if (method === 'GET' && path === '/os') return this.list(req, 'os', VULTR_OS);
    if (method === 'GET' && path === '/instances') {
      const filters = ['label', 'tag', 'main_ip', 'region'] as const;
      const instances = [...this.instances.values()].filter((instance) =>
        filters.every((name) => {
          const wanted = req.query.get(name);
          if (!wanted) return true;
          return name === 'tag' ? (instance.tags as string[]).includes(wanted) : instance[name] === wanted;
        }),
      );
      return this.list(req, 'instances', instances);
    }
    if (method === 'POST' && path === '/instances') return this.create(req.body);
    if ((m = path.match(/^\/instances\/([0-9a-f-]{36})$/))) {
      const instance = this.instance(m[1]);
      if (method === 'GET') return { status: 200, body: { instance } };
      if (method === 'DELETE') {
        this.instances.delete(m[1]);
        return { status: 204 };
      }
      if (method === 'PATCH') return this.patch(instance, req.body);
    }
    if ((m = path.match(/^\/instances\/([0-9a-f-]{36})\/(start|halt|reboot|reinstall)$/)) && method === 'POST') {
      return this.power(this.instance(m[1]), m[2]);
    }
    throw this.error(404, 'Not found.');
  }

  private instance(id: string): Json {
    const instance = this.instances.get(id);
    if (!instance) throw this.error(404, 'Invalid instance-id.');
    return instance;
  }

  /** One page: up to `per_page` items after the cursor's offset; cursors are opaque strings. */
  private list(req: Request, key: string, items: unknown[]): Reply {
    const perPage = intParam(req.query, 'per_page', 100);
    if (!(perPage >= 1 && perPage <= 500)) throw this.error(400, 'per_page must be between 1 and 500.');
    const cursor = req.query.get('cursor');
    let offset = 0;
    if (cursor) {
      const decoded = Buffer.from(cursor, 'base64url').toString();
      const match = decoded.match(/^offset:(\d+)$/);
      if (!match) throw this.error(400, 'Invalid cursor.');
      offset = Number(match[1]);
    }
    const size = Math.min(perPage, this.options.pageCap);
    const encode = (n: number) => Buffer.from(`offset:${n}`).toString('base64url');
    return {
      status: 200,
      body: {
        [key]: items.slice(offset, offset + size),
        meta: {
          total: items.length,
          links: {
            next: offset + size < items.length ? encode(offset + size) : '',
            prev: offset > 0 ? encode(Math.max(0, offset - size)) : '',
          },
        },
      },
    };
  }

  private create(body: Json): Reply {
    const region = VULTR_REGIONS.find((r) => r.id === body.region);
    if (!region) throw this.error(400, 'Invalid region.');
    const plan = VULTR_PLANS.find((p) => p.id === body.plan);
    if (!plan) throw this.error(400, 'Invalid plan.');
    if (!plan.locations.includes(region.id)) throw this.error(400, 'Plan is not available in the selected region.');
    const sources = ['os_id', 'iso_id', 'snapshot_id', 'app_id', 'image_id'].filter((k) => body[k] !== undefined);
    if (sources.length !== 1) throw this.error(400, 'Provide exactly one of os_id, iso_id, snapshot_id, app_id or image_id.');
    const os = VULTR_OS.find((o) => o.id === body.os_id);
    if (!os || ['iso', 'snapshot', 'backup', 'application'].includes(os.family)) throw this.error(400, 'Invalid os_id.');
    if (body.user_data !== undefined) {
      const text = String(body.user_data);
      if (Buffer.from(text, 'base64').toString('base64') !== text) throw this.error(400, 'user_data must be base64 encoded.');
    }
    if (body.backups !== undefined && body.backups !== 'enabled' && body.backups !== 'disabled') {
      throw this.error(400, 'backups must be "enabled" or "disabled".');
    }

    const id = randomUUID();
    const password = vultrPassword();
    const instance: Json = {
      id,
      os: os.name,
      ram: plan.ram,
      disk: 0,
      main_ip: '0.0.0.0',
      vcpu_count: plan.vcpu_count,
      region: region.id,
      plan: plan.id,
      date_created: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      status: 'pending',
      allowed_bandwidth: plan.bandwidth,
      netmask_v4: '',
      gateway_v4: '0.0.0.0',
      power_status: 'running',
      server_status: 'none',
      v6_network: '',
      v6_main_ip: '',
      v6_network_size: 0,
      v6_networks: [],
      label: typeof body.label === 'string' ? body.label : '',
      internal_ip: '',
      kvm: '',
      hostname: typeof body.hostname === 'string' ? body.hostname : `vultr-guest-${id.slice(0, 8)}`,
      os_id: os.id,
      app_id: 0,
      image_id: '',
      firewall_group_id: '',
      features: body.enable_ipv6 ? ['ipv6'] : [],
      tags: Array.isArray(body.tags) ? body.tags : [],
      user_scheme: body.user_scheme ?? 'root',
    };
    this.instances.set(id, instance);
    this.created.push({ id, default_password: password, user_data: body.user_data as string | undefined });

    // Pitfall 7: addresses and `active` come while the OS is still `installingbooting`.
    this.clock.after(this.options.bootMs / 2, () => {
      const v6 = (this.v6++).toString(16);
      Object.assign(instance, {
        status: 'active',
        server_status: 'installingbooting',
        disk: plan.disk,
        main_ip: this.ipv4(),
        netmask_v4: '255.255.254.0',
        gateway_v4: '198.51.100.1',
        kvm: `https://my.vultr.com/subs/vps/novnc/api.php?data=${randomBytes(12).toString('hex')}`,
      });
      if (body.enable_ipv6) {
        Object.assign(instance, {
          v6_network: '2001:db8:5f00::',
          v6_main_ip: `2001:db8:5f00::${v6}`,
          v6_network_size: 64,
          v6_networks: [{ network: '2001:db8:5f00::', main_ip: `2001:db8:5f00::${v6}`, network_size: 64 }],
        });
      }
    });
    this.clock.after(this.options.bootMs, () => {
      instance.server_status = 'ok';
    });
    // The one and only answer that carries the password.
    return { status: 202, body: { instance: { ...instance, default_password: password } } };
  }

  private locked(instance: Json): boolean {
    return instance.status !== 'active' || instance.server_status === 'locked' || instance.server_status === 'installingbooting';
  }

  private power(instance: Json, verb: string): Reply {
    if (this.locked(instance)) throw this.error(400, 'Unable to complete the request: server is currently locked.');
    if (verb === 'reinstall') return this.reinstall(instance);
    instance.server_status = 'locked';
    this.clock.after(this.options.actionMs, () => {
      instance.server_status = 'ok';
      instance.power_status = verb === 'halt' ? 'stopped' : 'running';
    });
    return { status: 204 };
  }

  private reinstall(instance: Json): Reply {
    instance.server_status = 'installingbooting';
    instance.power_status = 'running';
    this.clock.after(this.options.bootMs, () => {
      instance.server_status = 'ok';
    });
    return { status: 202, body: { instance } };
  }

  private patch(instance: Json, body: Json): Reply {
    if (body.os_id !== undefined) {
      if (this.locked(instance)) throw this.error(400, 'Unable to complete the request: server is currently locked.');
      const os = VULTR_OS.find((o) => String(o.id) === String(body.os_id));
      if (!os || ['iso', 'snapshot', 'backup', 'application'].includes(os.family)) throw this.error(400, 'Invalid os_id.');
      Object.assign(instance, { os: os.name, os_id: os.id });
      return this.reinstall(instance);
    }
    if (typeof body.label === 'string') instance.label = body.label;
    if (Array.isArray(body.tags)) instance.tags = body.tags;
    return { status: 202, body: { instance } };
  }
}

// ---- Linode ---------------------------------------------------------------------------------
// Base https://api.linode.com/v4; every list is {data, page, pages, results} with `page` and
// `page_size` (25–500, default 100); errors {errors: [{field?, reason}]}; actions answer `{}`
// and report through /account/events.

const LINODE_REGIONS = [
  { id: 'id-cgk', label: 'Jakarta, ID', country: 'id', status: 'ok' },
  { id: 'ap-south', label: 'Singapore, SG', country: 'sg', status: 'ok' },
  { id: 'jp-osa', label: 'Osaka, JP', country: 'jp', status: 'ok' },
  // Down for now: listed with `status: outage`.
  { id: 'ap-southeast', label: 'Sydney, AU', country: 'au', status: 'outage' },
].map((region) => ({
  ...region,
  capabilities: ['Linodes', 'Block Storage', 'Cloud Firewall', 'Vlans', 'Metadata'],
  resolvers: { ipv4: '192.0.2.53,192.0.2.54', ipv6: '2001:db8:53::1,2001:db8:53::2' },
  placement_group_limits: { maximum_linodes_per_pg: 5, maximum_pgs_per_customer: 100 },
  'site-type': 'core',
}));

const LINODE_TYPES = [
  { id: 'g6-nanode-1', label: 'Nanode 1GB', class: 'nanode', vcpus: 1, memory: 1024, disk: 25600, transfer: 1000, network_out: 1000, price: { hourly: 0.0075, monthly: 5.0 } },
  { id: 'g6-standard-1', label: 'Linode 2GB', class: 'standard', vcpus: 1, memory: 2048, disk: 51200, transfer: 2000, network_out: 2000, price: { hourly: 0.018, monthly: 12.0 } },
  { id: 'g6-standard-2', label: 'Linode 4GB', class: 'standard', vcpus: 2, memory: 4096, disk: 81920, transfer: 4000, network_out: 4000, price: { hourly: 0.036, monthly: 24.0 } },
].map((type) => ({
  ...type,
  gpus: 0,
  successor: null,
  // Jakarta charges more, as Linode's few regional prices do.
  region_prices: [{ id: 'id-cgk', hourly: type.price.hourly * 1.2, monthly: Math.round(type.price.monthly * 120) / 100 }],
  addons: { backups: { price: { hourly: 0.003, monthly: 2.0 }, region_prices: [] } },
}));

const LINODE_IMAGES = [
  { id: 'linode/ubuntu24.04', label: 'Ubuntu 24.04 LTS', vendor: 'Ubuntu', size: 2800, deprecated: false, is_public: true },
  { id: 'linode/debian12', label: 'Debian 12', vendor: 'Debian', size: 1400, deprecated: false, is_public: true },
  { id: 'linode/almalinux9', label: 'AlmaLinux 9', vendor: 'AlmaLinux', size: 1800, deprecated: false, is_public: true },
  // Neither may be offered: an old deprecated image, and the account's own private image.
  { id: 'linode/centos7', label: 'CentOS 7', vendor: 'CentOS', size: 1500, deprecated: true, is_public: true },
  { id: 'private/3141592', label: 'golden-web-image', vendor: null, size: 5200, deprecated: false, is_public: false },
].map((image) => ({
  ...image,
  created: '2026-04-25T10:00:00',
  created_by: image.is_public ? 'linode' : 'webrana-reseller',
  description: '',
  eol: null,
  expiry: null,
  status: 'available',
  type: 'manual',
  capabilities: ['cloud-init'],
  tags: [],
  total_size: image.size,
  updated: '2026-04-25T10:00:00',
  regions: [],
}));

interface LinodeEvent {
  id: number;
  action: string;
  created: string;
  duration: number | null;
  entity: { id: number; label: string; type: 'linode'; url: string };
  message: string | null;
  percent_complete: number | null;
  rate: string | null;
  read: boolean;
  secondary_entity: null;
  seen: boolean;
  status: 'scheduled' | 'started' | 'finished' | 'failed' | 'notification';
  time_remaining: string | null;
  username: string;
}

/** Linode's label rules (pattern, length, no doubled separators). */
function validLinodeLabel(label: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}[a-zA-Z0-9]$/.test(label) && !/--|__|\.\./.test(label);
}

class Linode {
  readonly linodes = new Map<number, Json>();
  readonly events: LinodeEvent[] = [];
  /** Every `root_pass` accepted, per Linode, in order (create, then resets and rebuilds). */
  readonly rootPasswords = new Map<number, string[]>();
  private nextLinode = 61_000_001;
  private nextEvent = 880_000_001;
  private readonly ipv4 = addressPool('192.0.2', 40);
  private v6 = 0x40;

  constructor(
    private readonly clock: Clock,
    private readonly options: Required<MockCloudsOptions>,
  ) {}

  static unauthorized(): HttpError {
    return new HttpError(401, { errors: [{ reason: 'Invalid Token' }] });
  }

  private error(status: number, reason: string, field?: string): HttpError {
    return new HttpError(status, { errors: [field ? { field, reason } : { reason }] });
  }

  handle(req: Request): Reply {
    const { method, path } = req;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/regions') return this.list(req, LINODE_REGIONS);
    if (method === 'GET' && path === '/linode/types') return this.list(req, LINODE_TYPES);
    if (method === 'GET' && path === '/images') return this.list(req, LINODE_IMAGES);
    if (method === 'GET' && path === '/linode/instances') return this.list(req, [...this.linodes.values()]);
    if (method === 'POST' && path === '/linode/instances') return this.create(req.body);
    if (method === 'GET' && path === '/account/events') {
      // Newest first, as Linode lists them.
      return this.list(req, [...this.events].sort((a, b) => b.id - a.id));
    }
    if ((m = path.match(/^\/account\/events\/(\d+)$/)) && method === 'GET') {
      const event = this.events.find((e) => e.id === Number(m![1]));
      if (!event) throw this.error(404, 'Not found');
      return { status: 200, body: event };
    }
    if ((m = path.match(/^\/linode\/instances\/(\d+)$/))) {
      const linode = this.linode(m[1]);
      if (method === 'GET') return { status: 200, body: linode };
      if (method === 'DELETE') {
        this.linodes.delete(linode.id as number);
        this.event(linode, 'linode_delete', 'notification');
        return { status: 200, body: {} };
      }
    }
    if ((m = path.match(/^\/linode\/instances\/(\d+)\/(boot|shutdown|reboot|password|rebuild)$/)) && method === 'POST') {
      return this.command(this.linode(m[1]), m[2], req.body);
    }
    throw this.error(404, 'Not found');
  }

  private linode(id: string): Json {
    const linode = this.linodes.get(Number(id));
    if (!linode) throw this.error(404, 'Not found');
    return linode;
  }

  private list(req: Request, items: unknown[]): Reply {
    const page = intParam(req.query, 'page', 1);
    const pageSize = intParam(req.query, 'page_size', 100);
    if (!(page >= 1)) throw this.error(400, 'Must be an integer of 1 or more', 'page');
    if (!(pageSize >= 25 && pageSize <= 500)) throw this.error(400, 'Must be 25-500', 'page_size');
    const size = Math.min(pageSize, this.options.pageCap);
    const pages = Math.max(1, Math.ceil(items.length / size));
    return {
      status: 200,
      body: { data: items.slice((page - 1) * size, page * size), page, pages, results: items.length },
    };
  }

  private event(linode: Json, action: string, status: LinodeEvent['status'], finishIn?: number): LinodeEvent {
    const event: LinodeEvent = {
      id: this.nextEvent++,
      action,
      created: linodeTime(this.clock.now()),
      duration: null,
      entity: { id: linode.id as number, label: linode.label as string, type: 'linode', url: `/v4/linode/instances/${linode.id}` },
      message: null,
      percent_complete: status === 'started' ? 0 : 100,
      rate: null,
      read: false,
      secondary_entity: null,
      seen: false,
      status,
      time_remaining: null,
      username: 'webrana-reseller',
    };
    this.events.push(event);
    if (finishIn !== undefined) {
      this.clock.after(finishIn, () => {
        event.status = 'finished';
        event.percent_complete = 100;
        event.duration = finishIn / 1000;
      });
    }
    return event;
  }

  /** Linode scores strength; here: 11+ characters of at least three kinds. */
  private checkPassword(password: unknown) {
    if (typeof password !== 'string' || password.length < 7 || password.length > 128) {
      throw this.error(400, 'Length must be 7-128 characters', 'root_pass');
    }
    const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((kind) => kind.test(password)).length;
    if (password.length < 11 || kinds < 3) throw this.error(400, 'Password does not meet strength requirement', 'root_pass');
  }

  private create(body: Json): Reply {
    const type = LINODE_TYPES.find((t) => t.id === body.type);
    if (!type) throw this.error(400, 'A valid plan type by that ID was not found', 'type');
    const region = LINODE_REGIONS.find((r) => r.id === body.region);
    if (!region) throw this.error(400, 'region is not valid', 'region');
    if (region.status !== 'ok') throw this.error(400, 'This region is currently unavailable', 'region');
    let image: (typeof LINODE_IMAGES)[number] | undefined;
    if (body.image !== undefined) {
      image = LINODE_IMAGES.find((i) => i.id === body.image);
      if (!image) throw this.error(400, 'image is not valid', 'image');
      if (body.root_pass === undefined) throw this.error(400, 'root_pass is required when deploying an image', 'root_pass');
      this.checkPassword(body.root_pass);
    }
    const label = typeof body.label === 'string' ? body.label : `linode${this.nextLinode}`;
    if (!validLinodeLabel(label)) throw this.error(400, 'Label must begin and end with a letter or number, and may only contain letters, numbers, dashes, underscores and periods', 'label');
    if ([...this.linodes.values()].some((l) => l.label === label)) throw this.error(400, 'Label must be unique among your linodes', 'label');
    if (body.authorized_keys !== undefined && !(Array.isArray(body.authorized_keys) && body.authorized_keys.every((k) => typeof k === 'string' && /^(ssh|ecdsa)-/.test(k)))) {
      throw this.error(400, 'Invalid SSH public key', 'authorized_keys');
    }

    const id = this.nextLinode++;
    const v6 = (this.v6++).toString(16);
    const now = linodeTime();
    const linode: Json = {
      id,
      label,
      group: '',
      status: 'provisioning',
      created: now,
      updated: now,
      type: type.id,
      // The public address is known at once; only the boot takes time.
      ipv4: [this.ipv4(), ...(body.private_ip ? [`192.168.133.${id % 250}`] : [])],
      ipv6: `2001:db8:1e00::${v6}/128`,
      image: image?.id ?? null,
      region: region.id,
      specs: { disk: type.disk, memory: type.memory, vcpus: type.vcpus, gpus: 0, transfer: type.transfer },
      alerts: { cpu: 90 * type.vcpus, io: 10000, network_in: 10, network_out: 10, transfer_quota: 80 },
      backups: { enabled: Boolean(body.backups_enabled), available: false, schedule: { day: null, window: null }, last_successful: null },
      hypervisor: 'kvm',
      watchdog_enabled: true,
      tags: Array.isArray(body.tags) ? body.tags : [],
      host_uuid: randomBytes(20).toString('hex'),
      has_user_data: Boolean((body.metadata as Json | undefined)?.user_data),
      placement_group: null,
      lke_cluster_id: null,
      capabilities: [],
    };
    this.linodes.set(id, linode);
    if (typeof body.root_pass === 'string') this.rememberPassword(linode, body.root_pass);

    const half = this.options.bootMs / 2;
    this.event(linode, 'linode_create', 'started', half);
    if (body.booted !== false) {
      this.clock.after(half, () => {
        linode.status = 'booting';
        this.event(linode, 'linode_boot', 'started', half);
      });
      this.clock.after(this.options.bootMs, () => {
        linode.status = 'running';
      });
    } else {
      this.clock.after(half, () => {
        linode.status = 'offline';
      });
    }
    return { status: 200, body: linode };
  }

  private rememberPassword(linode: Json, password: string) {
    const id = linode.id as number;
    this.rootPasswords.set(id, [...(this.rootPasswords.get(id) ?? []), password]);
  }

  private command(linode: Json, command: string, body: Json): Reply {
    const status = linode.status as string;
    const eventRunning = this.events.some((e) => e.entity.id === linode.id && e.status === 'started');
    if (eventRunning || !['running', 'offline'].includes(status)) throw this.error(400, 'Linode busy.');
    const takes = this.options.actionMs;
    const transition = (during: string, after: string) => {
      linode.status = during;
      this.clock.after(takes, () => {
        linode.status = after;
        linode.updated = linodeTime(this.clock.now());
      });
    };
    switch (command) {
      case 'boot':
        if (status === 'running') throw this.error(400, 'Linode is already running.');
        transition('booting', 'running');
        this.event(linode, 'linode_boot', 'started', takes);
        break;
      case 'shutdown':
        if (status === 'offline') throw this.error(400, 'Linode is already powered off.');
        transition('shutting_down', 'offline');
        this.event(linode, 'linode_shutdown', 'started', takes);
        break;
      case 'reboot':
        if (status === 'offline') throw this.error(400, 'Linode is powered off; boot it instead.');
        transition('rebooting', 'running');
        this.event(linode, 'linode_reboot', 'started', takes);
        break;
      case 'password':
        if (status !== 'offline') throw this.error(400, 'Linode must be shut down to reset the root password.');
        this.checkPassword(body.root_pass);
        this.rememberPassword(linode, body.root_pass as string);
        this.event(linode, 'password_reset', 'started', takes);
        break;
      case 'rebuild': {
        const image = LINODE_IMAGES.find((i) => i.id === body.image);
        if (!image) throw this.error(400, 'image is not valid', 'image');
        this.checkPassword(body.root_pass);
        this.rememberPassword(linode, body.root_pass as string);
        linode.image = image.id;
        transition('rebuilding', body.booted === false ? 'offline' : 'running');
        this.event(linode, 'linode_rebuild', 'started', takes);
        return { status: 200, body: linode };
      }
    }
    return { status: 200, body: {} };
  }
}

// ---- the server -----------------------------------------------------------------------------

const PREFIXES: Record<Provider, string> = {
  digitalocean: '/digitalocean',
  vultr: '/vultr/v2',
  linode: '/linode/v4',
};

/** The headers each cloud puts on every answer (rate-limit counters). */
function providerHeaders(provider: Provider): Record<string, string> {
  const reset = String(Math.floor(Date.now() / 1000) + 60);
  if (provider === 'digitalocean') return { 'ratelimit-limit': '5000', 'ratelimit-remaining': '4999', 'ratelimit-reset': reset };
  if (provider === 'linode') return { 'X-RateLimit-Limit': '800', 'X-RateLimit-Remaining': '799', 'X-RateLimit-Reset': reset, 'X-Spec-Version': '4.189.0' };
  return {};
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startMockClouds(options: MockCloudsOptions): Promise<MockClouds> {
  const settings: Required<MockCloudsOptions> = { bootMs: 2000, actionMs: 1500, pageCap: 200, ...options };
  const clock = new Clock();
  let url = '';
  const digitalocean = new DigitalOcean(clock, settings, () => `${url}${PREFIXES.digitalocean}`);
  const vultr = new Vultr(clock, settings);
  const linode = new Linode(clock, settings);
  const clouds = { digitalocean, vultr, linode };
  const unauthorized = { digitalocean: DigitalOcean.unauthorized, vultr: Vultr.unauthorized, linode: Linode.unauthorized };
  const requests: RecordedRequest[] = [];

  const server = http.createServer(async (req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://mock');
    const provider = (Object.keys(PREFIXES) as Provider[]).find((p) => parsed.pathname.startsWith(`${PREFIXES[p]}/`));
    const send = (reply: Reply) => {
      const headers: Record<string, string> = { ...(provider ? providerHeaders(provider) : {}), ...reply.headers };
      if (reply.body === undefined) {
        res.writeHead(reply.status, headers).end();
      } else {
        res.writeHead(reply.status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(reply.body));
      }
    };
    if (!provider) {
      send({ status: 404, body: { error: `no mock cloud under ${parsed.pathname}` } });
      return;
    }
    const path = parsed.pathname.slice(PREFIXES[provider].length);
    const raw = await readBody(req);
    let body: Json = {};
    let reply: Reply;
    try {
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw) as Json;
        } catch {
          throw new HttpError(400, provider === 'linode' ? { errors: [{ reason: 'Invalid JSON' }] } : provider === 'vultr' ? { error: 'Invalid JSON.', status: 400 } : { id: 'bad_request', message: 'Invalid JSON.' });
        }
      }
      if (req.headers.authorization !== `Bearer ${settings.tokens[provider]}`) throw unauthorized[provider]();
      clock.settle();
      reply = clouds[provider].handle({ method: req.method ?? 'GET', path, query: parsed.searchParams, body });
    } catch (error) {
      if (!(error instanceof HttpError)) {
        reply = { status: 500, body: { error: String(error) } };
      } else {
        reply = { status: error.status, body: error.body };
      }
    }
    requests.push({
      provider,
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(parsed.searchParams),
      body: raw.trim() === '' ? undefined : body,
      status: reply.status,
    });
    send(reply);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiUrls: {
      digitalocean: `${url}${PREFIXES.digitalocean}`,
      vultr: `${url}${PREFIXES.vultr}`,
      linode: `${url}${PREFIXES.linode}`,
    },
    requests,
    servers(provider) {
      clock.settle();
      if (provider === 'digitalocean') {
        return [...digitalocean.droplets.values()].map((d) => ({ ...d, user_data: digitalocean.userData.get(d.id as number) }));
      }
      if (provider === 'vultr') {
        return [...vultr.instances.values()].map((i) => ({ ...i, ...vultr.created.find((c) => c.id === i.id) }));
      }
      return [...linode.linodes.values()].map((l) => ({ ...l, root_passwords: linode.rootPasswords.get(l.id as number) ?? [] }));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
