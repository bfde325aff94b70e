"""The index may hold documents that are not this deployment's implementations: on the national hub, the
items regional nodes pushed (federation, 同源发布), so one query ranks local and national items together.

Such a document's key is negative (minus the hub's RemoteImplementation id), so the key loses its database
foreign key (local documents still follow their implementation through Django's CASCADE and the indexer);
`node` names the node a document came from ('' for local items).

SQLite rebuilds the table for both changes and its triggers go with it (see the note in 0002): they are
created again here, as migration 0003 defined them, and the FTS5 tables (which refer to the table by name
and to rows by rank_id, both unchanged) need no rebuild.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    names = importlib.import_module("yiwang.search.migrations.0003_names_index")
    for statement in names._triggers(
        [("search_fts", names.ALL_COLUMNS), ("search_names_fts", names.NAME_COLUMNS)]
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_guideversion_form_schema"),
        ("search", "0004_postgres_match_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="node",
            field=models.CharField(
                blank=True,
                default="",
                help_text="地区节点推送到国家枢纽的事项：该节点的代码；本节点事项为空。",
                max_length=6,
                verbose_name="来源节点",
            ),
        ),
        migrations.AlterField(
            model_name="searchdocument",
            name="implementation",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="search_document",
                serialize=False,
                to="catalog.implementation",
                verbose_name="实施清单事项",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
