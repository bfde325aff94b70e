"""A second full-text index over the name columns only (name, aliases, pinyin, unigrams; plus filters).

In one index, a lookup restricted to the name columns still walks every occurrence of its words in every
column (column filters are applied after the doclists are read), so "居民户口簿 in names" costs as much as
"居民户口簿 anywhere" — a quarter of a national catalogue. A separate index makes name lookups cost what
the name matches cost.

SQLite: a second FTS5 external-content table (same rows, same rowid = static rank), filled from the
content table, and the triggers now keep both in step. PostgreSQL: a second generated tsvector over the
name columns (A name + pinyin, B aliases + unigrams) with its own GIN index.
"""

from django.db import migrations

ALL_COLUMNS = [
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
NAME_COLUMNS = ["tok_name", "tok_aliases", "tok_pinyin", "tok_grams", "tok_filters"]


def _insert(table: str, columns: list[str], prefix: str) -> str:
    values = ", ".join(f"{prefix}.{c}" for c in columns)
    return f"INSERT INTO {table}(rowid, {', '.join(columns)}) VALUES ({prefix}.rank_id, {values});"


def _delete(table: str, columns: list[str]) -> str:
    values = ", ".join(f"old.{c}" for c in columns)
    return f"INSERT INTO {table}({table}, rowid, {', '.join(columns)}) VALUES ('delete', old.rank_id, {values});"


def _triggers(tables: list[tuple[str, list[str]]]) -> list[str]:
    watched = ", ".join(["rank_id", *ALL_COLUMNS])
    inserts = " ".join(_insert(table, columns, "new") for table, columns in tables)
    deletes = " ".join(_delete(table, columns) for table, columns in tables)
    return [
        "DROP TRIGGER IF EXISTS search_fts_ai",
        "DROP TRIGGER IF EXISTS search_fts_ad",
        "DROP TRIGGER IF EXISTS search_fts_au",
        f"CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchdocument BEGIN {inserts} END",
        f"CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchdocument BEGIN {deletes} END",
        f"CREATE TRIGGER search_fts_au AFTER UPDATE OF {watched} ON search_searchdocument "
        f"BEGIN {deletes} {inserts} END",
    ]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [
            f"CREATE VIRTUAL TABLE search_names_fts USING fts5({', '.join(NAME_COLUMNS)}, "
            "content='search_searchdocument', content_rowid='rank_id', tokenize='unicode61 remove_diacritics 0')",
            "INSERT INTO search_names_fts(search_names_fts) VALUES ('rebuild')",
            *_triggers([("search_fts", ALL_COLUMNS), ("search_names_fts", NAME_COLUMNS)]),
        ]
    elif vendor == "postgresql":
        statements = [
            "ALTER TABLE search_searchdocument ADD COLUMN tsv_names tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple'::regconfig, tok_name || ' ' || tok_pinyin), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, tok_aliases || ' ' || tok_grams), 'B')) STORED",
            "CREATE INDEX search_doc_tsv_names ON search_searchdocument USING gin (tsv_names)",
        ]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [
            *_triggers([("search_fts", ALL_COLUMNS)]),
            "DROP TABLE IF EXISTS search_names_fts",
        ]
    elif vendor == "postgresql":
        statements = [
            "DROP INDEX IF EXISTS search_doc_tsv_names",
            "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv_names",
        ]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [migrations.RunPython(forward, backward)]
