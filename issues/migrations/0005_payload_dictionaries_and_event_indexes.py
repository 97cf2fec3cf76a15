# Per-project zstd dictionaries for event payloads; two redundant indexes off issues_event;
# on PostgreSQL, no pglz attempts on the (already compressed) payload column.

import django.db.models.deletion
from django.db import migrations, models

# Django's names for the foreign keys' own indexes (the same on PostgreSQL and SQLite).
FK_INDEXES = {
    "issue_id": "issues_event_issue_id_c662b365",
    "project_id": "issues_event_project_id_5a8ad076",
}


def drop_fk_index(column: str) -> migrations.RunSQL:
    # A plain DROP INDEX, so SQLite does not copy the whole events table as AlterField would.
    name = FK_INDEXES[column]
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX "{name}" ON "issues_event" ("{column}")',
    )


def payload_storage(storage: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'ALTER TABLE "issues_event" ALTER COLUMN "payload" SET STORAGE {storage}'
            )

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('issues', '0004_list_sort_and_tag_indexes'),
        ('projects', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='event',
                    name='issue',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='issues.issue'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='project',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project'),
                ),
            ],
            database_operations=[drop_fk_index("issue_id"), drop_fk_index("project_id")],
        ),
        # Catalog-only change (no table rewrite): out-of-line storage stays, compression goes.
        migrations.RunPython(payload_storage("EXTERNAL"), payload_storage("EXTENDED")),
        migrations.CreateModel(
            name='PayloadDictionary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dict_id', models.PositiveIntegerField(unique=True)),
                ('data', models.BinaryField()),
                ('created_at', models.DateTimeField()),
                ('samples', models.PositiveIntegerField()),
                ('ratio', models.FloatField()),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
            ],
        ),
    ]
