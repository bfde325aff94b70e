"""The engine-specific full-text structure over SearchDocument's pre-segmented token columns.

SQLite: an FTS5 external-content table (the tokens live once, in search_searchdocument) whose rowid is the
document's static rank (most popular first), kept in step by triggers. Note for later migrations: if
SearchDocument is ever altered on SQLite, Django rebuilds the table and the triggers go with it — re-run the
trigger SQL below in that migration.

PostgreSQL: a stored generated tsvector ('simple' configuration over the space-separated tokens, weighted
A name, B aliases + pinyin + unigrams, C materials + themes, D organisation + FAQ) with a GIN index.
Filters are ordinary indexed columns there, so tok_filters is left out.
"""

from django.db import migrations

COLUMNS = [
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


def _sqlite_statements() -> list[str]:
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE search_fts USING fts5({cols}, content='search_searchdocument', "
        "content_rowid='rank_id', tokenize='unicode61 remove_diacritics 0')",
        "CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchdocument BEGIN "
        f"INSERT INTO search_fts(rowid, {cols}) VALUES (new.rank_id, {new}); END",
        "CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchdocument BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.rank_id, {old}); END",
        f"CREATE TRIGGER search_fts_au AFTER UPDATE OF rank_id, {cols} ON search_searchdocument BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.rank_id, {old}); "
        f"INSERT INTO search_fts(rowid, {cols}) VALUES (new.rank_id, {new}); END",
    ]


POSTGRES_FORWARD = [
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, tok_name), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, tok_aliases || ' ' || tok_pinyin || ' ' || tok_grams), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, tok_materials || ' ' || tok_themes), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, tok_org || ' ' || tok_faq), 'D')"
    ") STORED",
    "CREATE INDEX search_doc_tsv ON search_searchdocument USING gin (tsv)",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_statements()
    elif vendor == "postgresql":
        statements = POSTGRES_FORWARD
    else:
        return
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in (
            "DROP TRIGGER IF EXISTS search_fts_ai",
            "DROP TRIGGER IF EXISTS search_fts_ad",
            "DROP TRIGGER IF EXISTS search_fts_au",
            "DROP TABLE IF EXISTS search_fts",
        ):
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_doc_tsv")
        schema_editor.execute("ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
