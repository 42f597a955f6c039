-- The pages' catalogue of one generation (service/build/catalogue.py writes it once per build;
-- service/web/catalogue.py opens it read-only). SQLite with an FTS5 index:
-- https://www.sqlite.org/fts5.html
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;

-- Every entity the pages name: its display label, a short name (<= 24 characters: "STAT KZ"),
-- its kind (service.iris.kind_of), its rdf:types (space-separated) and its place in the
-- alphabetical list of its kind.
CREATE TABLE entity (
  iri      TEXT PRIMARY KEY,
  label    TEXT,
  short    TEXT,
  kind     TEXT NOT NULL,
  types    TEXT NOT NULL,
  position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX entity_by_kind ON entity (kind, position);

-- A note to show with an entity's name wherever the name is shown (skos:scopeNote in English:
-- Kosovo*'s footnote).
CREATE TABLE note (
  iri  TEXT PRIMARY KEY,
  note TEXT NOT NULL
) WITHOUT ROWID;

-- Start and end date of every reference period (sorting, chart axes).
CREATE TABLE period (
  iri   TEXT PRIMARY KEY,
  begin TEXT NOT NULL,
  end   TEXT NOT NULL
) WITHOUT ROWID;

-- The countries figures are about, in label order (home page entry points).
CREATE TABLE country (
  position INTEGER PRIMARY KEY,
  iri      TEXT NOT NULL
);

-- Every name of every entity (label, alternative and short names, titles, notations), the
-- name accent- and case-folded (service.folding.normalise), and the words the index holds:
-- the folded words plus, for names of 2-4 words, the words run together ("statkz" finds
-- "STAT KZ").
CREATE TABLE name (
  id     INTEGER PRIMARY KEY,
  iri    TEXT NOT NULL,
  name   TEXT NOT NULL,
  field  TEXT NOT NULL,
  folded TEXT NOT NULL,
  words  TEXT NOT NULL
);
CREATE VIRTUAL TABLE name_index USING fts5 (
  words, content = 'name', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
-- Every indexed word once (the typo-tolerant suggestions of the 404 page compare against it).
CREATE TABLE word (
  word TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Figures counted per entity at build time, per kind of count (the pages' totals).
CREATE TABLE figure_count (
  iri   TEXT NOT NULL,
  count_kind TEXT NOT NULL,
  figures INTEGER NOT NULL,
  PRIMARY KEY (iri, count_kind)
) WITHOUT ROWID;

CREATE TABLE about (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Rival figures: the observations that share all ten dimensions of the data structure
-- (indicator, area, period, sex, counterpart, ethnic group, permit category, offence type,
-- region, facility), i.e. the same figure from other sources or publications. `key` joins the
-- ten dimension IRIs; the observation page lists the other rows of its key. Each term is
-- stored as kind ("uri" or "literal"), value, language and datatype.
CREATE TABLE rival (
  key TEXT NOT NULL,
  obs TEXT NOT NULL,
  value_kind TEXT, value TEXT, value_lang TEXT, value_datatype TEXT,
  published_kind TEXT, published TEXT, published_lang TEXT, published_datatype TEXT,
  source TEXT,
  publication TEXT
);
CREATE INDEX rival_by_key ON rival (key);
CREATE TABLE figure_key (
  obs TEXT PRIMARY KEY,
  key TEXT NOT NULL
) WITHOUT ROWID;

-- The rows of the pages' costliest queries (service/build/page_rows.py), per entity: Oxigraph's
-- SPARQL JSON bindings of each query by its name, as zlib-compressed JSON. An observation's
-- {"outgoing": [binding, ...], "incoming": [...], "observation": [...]}; a country's
-- {"country-sections": [...]}. The page reads them instead of asking the store.
CREATE TABLE page_rows (
  iri  TEXT PRIMARY KEY,
  rows BLOB NOT NULL
) WITHOUT ROWID;
