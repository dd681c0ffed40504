-- The catalog: regions, sizes and images synced from each provider, and the plans admins sell on
-- top of them. A synced entry the provider stops listing is marked unavailable, never deleted,
-- because plans and servers keep referring to it by slug.
-- Keep equivalent to migrations/sqlite/20261126000007_catalog.sql.
CREATE TABLE catalog_regions (
    provider      TEXT NOT NULL,
    slug          TEXT NOT NULL,
    -- What the provider calls it; `display_name`, set by admins, is what customers see.
    provider_name TEXT NOT NULL,
    display_name  TEXT,
    country       TEXT,
    available     BOOLEAN NOT NULL,
    enabled       BOOLEAN NOT NULL,
    synced_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, slug)
);

CREATE TABLE catalog_sizes (
    provider           TEXT NOT NULL,
    slug               TEXT NOT NULL,
    vcpus              BIGINT NOT NULL,
    memory_mb          BIGINT NOT NULL,
    disk_gb            BIGINT NOT NULL,
    transfer_gb        BIGINT NOT NULL,
    cost_cents_monthly BIGINT NOT NULL,
    available          BOOLEAN NOT NULL,
    synced_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, slug)
);

-- Where the provider offers each size now; replaced on every sync.
CREATE TABLE catalog_size_regions (
    provider    TEXT NOT NULL,
    size_slug   TEXT NOT NULL,
    region_slug TEXT NOT NULL,
    PRIMARY KEY (provider, size_slug, region_slug),
    FOREIGN KEY (provider, size_slug) REFERENCES catalog_sizes (provider, slug) ON DELETE CASCADE,
    FOREIGN KEY (provider, region_slug) REFERENCES catalog_regions (provider, slug) ON DELETE CASCADE
);

CREATE TABLE catalog_images (
    provider      TEXT NOT NULL,
    slug          TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    display_name  TEXT,
    distribution  TEXT NOT NULL,
    -- A short key of the OS logo to show; the distribution when unset.
    logo          TEXT,
    min_disk_gb   BIGINT,
    available     BOOLEAN NOT NULL,
    enabled       BOOLEAN NOT NULL,
    synced_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, slug)
);

CREATE TABLE plans (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    provider             TEXT NOT NULL,
    size_slug            TEXT NOT NULL,
    vcpus                BIGINT NOT NULL,
    memory_mb            BIGINT NOT NULL,
    disk_gb              BIGINT NOT NULL,
    transfer_gb          BIGINT NOT NULL,
    -- Whole rupiah.
    price_idr_monthly    BIGINT NOT NULL CHECK (price_idr_monthly > 0),
    discount_3m_percent  BIGINT NOT NULL CHECK (discount_3m_percent BETWEEN 0 AND 90),
    discount_6m_percent  BIGINT NOT NULL CHECK (discount_6m_percent BETWEEN 0 AND 90),
    discount_12m_percent BIGINT NOT NULL CHECK (discount_12m_percent BETWEEN 0 AND 90),
    visible              BOOLEAN NOT NULL,
    sort_order           BIGINT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (provider, size_slug) REFERENCES catalog_sizes (provider, slug)
);

-- Regions and images of the plan's provider it is sold with.
CREATE TABLE plan_regions (
    plan_id     BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    region_slug TEXT NOT NULL,
    PRIMARY KEY (plan_id, region_slug)
);

CREATE TABLE plan_images (
    plan_id    BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    image_slug TEXT NOT NULL,
    PRIMARY KEY (plan_id, image_slug)
);
