"""PostgreSQL: move the full-text structure out of the wide document table into a slim match table.

Why (EXPLAIN ANALYZE at 20,000 items): a document row is about 4.7 kB (materials, FAQ, eight token columns
and two tsvectors of 1.4–2 kB, the name one swollen by the pinyin of every 2–5 character run), so its
tsvectors live compressed in TOAST. The planner, misjudging how many rows a prefix/OR tsquery under a
region filter matches, walked the rank_id index and detoasted and tested one tsvector per row: 17,000
rows and 57,000 buffers (90 ms) to find 300 matches. A GIN bitmap scan found the same in 3 ms, but on the
wide table its heap visits still cost one page per five matches.

search_match holds only what candidate gathering reads: the static rank and two tsvectors, compressed out
of line (a row is under a hundred bytes inline, so a bitmap heap scan touches about one page per hundred
matches). Like the FTS5 tables on SQLite, both tsvectors also carry the filter tokens (rg33 rg3301 …,
og12, it01, aup/aue, th…, dm1–dm4), so "公积金 in prefecture 3301" is one GIN lookup that intersects
posting lists instead of a bitmap over the region followed by a tsvector test per row. Its GIN indexes
keep a small pending list (512 kB, not the default 4 MB): every query scans that list unsorted, and a
reindex fills it to the limit over and over; with no pending list at all (fastupdate off) each inserted
row costs some 150 random GIN page updates and a reindex runs several times slower. The reindex vacuums
afterwards, which empties it. A trigger keeps the table in step with search_searchdocument.

The document table loses its generated tsvectors and their GIN indexes (nothing reads them any more).
SQLite is untouched.
"""

from django.db import migrations

TOKEN_COLUMNS = [
    "tok_name",
    "tok_aliases",
    "tok_pinyin",
    "tok_materials",
    "tok_themes",
    "tok_org",
    "tok_faq",
    "tok_grams",
    "tok_filters",
]


def _tsv(row: str) -> str:
    """The weighted tsvector over every field (A name, B aliases + pinyin + unigrams, C materials + themes,
    D organisation + FAQ, as migration 0002 defined it) plus the filter tokens (D)."""
    return (
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_name), 'A') || "
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_aliases || ' ' || {row}tok_pinyin || ' ' || "
        f"{row}tok_grams), 'B') || "
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_materials || ' ' || {row}tok_themes), 'C') || "
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_org || ' ' || {row}tok_faq || ' ' || "
        f"{row}tok_filters), 'D')"
    )


def _tsv_names(row: str) -> str:
    """The names-only tsvector (A name + pinyin, B aliases + unigrams, as migration 0003 defined it) plus the
    filter tokens (D)."""
    return (
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_name || ' ' || {row}tok_pinyin), 'A') || "
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_aliases || ' ' || {row}tok_grams), 'B') || "
        f"setweight(to_tsvector('simple'::regconfig, {row}tok_filters), 'D')"
    )


def _values(row: str) -> str:
    return f"{row}rank_id, {_tsv(row)}, {_tsv_names(row)}"


WATCHED = ", ".join(["rank_id", *TOKEN_COLUMNS])
OLD_TSV = (
    "setweight(to_tsvector('simple'::regconfig, tok_name), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, tok_aliases || ' ' || tok_pinyin || ' ' || tok_grams), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, tok_materials || ' ' || tok_themes), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, tok_org || ' ' || tok_faq), 'D')"
)
OLD_TSV_NAMES = (
    "setweight(to_tsvector('simple'::regconfig, tok_name || ' ' || tok_pinyin), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, tok_aliases || ' ' || tok_grams), 'B')"
)

FORWARD = [
    "DROP INDEX IF EXISTS search_doc_tsv",
    "DROP INDEX IF EXISTS search_doc_tsv_names",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv_names",
    "CREATE TABLE search_match (rank_id bigint PRIMARY KEY, tsv tsvector NOT NULL, tsv_names tsvector NOT NULL)",
    # Compressed and moved out of line as soon as a row passes 128 bytes, so the inline row stays tiny.
    "ALTER TABLE search_match SET (toast_tuple_target = 128)",
    "CREATE FUNCTION search_match_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
    "IF TG_OP IN ('UPDATE', 'DELETE') THEN DELETE FROM search_match WHERE rank_id = OLD.rank_id; END IF; "
    "IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO search_match "
    f"VALUES ({_values('NEW.')}); END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER search_match_sync AFTER INSERT OR DELETE ON search_searchdocument "
    "FOR EACH ROW EXECUTE FUNCTION search_match_sync()",
    # Popularity updates (sync_popularity touches every row) leave the match table alone.
    f"CREATE TRIGGER search_match_sync_update AFTER UPDATE OF {WATCHED} ON search_searchdocument "
    "FOR EACH ROW EXECUTE FUNCTION search_match_sync()",
    # TRUNCATE fires no row triggers (test flushes and bulk resets use it): empty the match table too.
    "CREATE FUNCTION search_match_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "TRUNCATE search_match; RETURN NULL; END $$",
    "CREATE TRIGGER search_match_truncate AFTER TRUNCATE ON search_searchdocument "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_match_truncate()",
    f"INSERT INTO search_match SELECT {_values('d.')} FROM search_searchdocument d",  # noqa: S608
    "CREATE INDEX search_match_tsv ON search_match USING gin (tsv) WITH (gin_pending_list_limit = 512)",
    "CREATE INDEX search_match_tsv_names ON search_match USING gin (tsv_names) WITH (gin_pending_list_limit = 512)",
    "ANALYZE search_match",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS search_match_sync ON search_searchdocument",
    "DROP TRIGGER IF EXISTS search_match_sync_update ON search_searchdocument",
    "DROP FUNCTION IF EXISTS search_match_sync()",
    "DROP TRIGGER IF EXISTS search_match_truncate ON search_searchdocument",
    "DROP FUNCTION IF EXISTS search_match_truncate()",
    "DROP TABLE IF EXISTS search_match",
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS (" + OLD_TSV + ") STORED",
    "ALTER TABLE search_searchdocument ADD COLUMN tsv_names tsvector GENERATED ALWAYS AS ("
    + OLD_TSV_NAMES
    + ") STORED",
    "CREATE INDEX search_doc_tsv ON search_searchdocument USING gin (tsv)",
    "CREATE INDEX search_doc_tsv_names ON search_searchdocument USING gin (tsv_names)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_names_index")]

    operations = [migrations.RunPython(forward, backward)]
