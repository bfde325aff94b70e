from django.db import migrations, models


def create_row(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("catalog", "CatalogueGeneration").objects.get_or_create(pk=1, defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_implementation_list_covering_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0, verbose_name="目录变更序号")),
            ],
            options={
                "verbose_name": "目录变更序号",
                "verbose_name_plural": "目录变更序号",
            },
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
