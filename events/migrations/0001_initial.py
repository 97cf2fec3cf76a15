# The models of issues/migrations/0006, now in this app on the same tables: state only.

import django.db.models.deletion
from django.db import migrations, models


MODELS = ("event", "payloaddictionary")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="issues", model__in=MODELS).update(app_label="events")


def reverse_move(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="events", model__in=MODELS).update(app_label="issues")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('issues', '0006_events_move_to_their_own_app'),
        ('projects', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
                    options={
                        'db_table': 'issues_payloaddictionary',
                    },
                ),
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(primary_key=True, serialize=False)),
                        ('event_id', models.CharField(max_length=32)),
                        ('timestamp', models.DateTimeField()),
                        ('received_at', models.DateTimeField()),
                        ('level', models.CharField(default='error', max_length=20)),
                        ('release', models.CharField(blank=True, default='', max_length=250)),
                        ('environment', models.CharField(blank=True, default='', max_length=250)),
                        ('platform', models.CharField(blank=True, default='', max_length=64)),
                        ('user_ident', models.CharField(blank=True, default='', max_length=250)),
                        ('transaction', models.CharField(blank=True, default='', max_length=250)),
                        ('tags', models.JSONField(default=dict)),
                        ('payload', models.BinaryField()),
                        ('processing_error', models.TextField(blank=True, default='')),
                        ('issue', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='issues.issue')),
                        ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
                    ],
                    options={
                        'db_table': 'issues_event',
                        'indexes': [models.Index(fields=['issue', 'received_at'], name='event_issue_idx'), models.Index(fields=['project', 'id'], name='event_project_id_idx'), models.Index(fields=['project', 'received_at'], name='event_project_received_idx')],
                        'constraints': [models.UniqueConstraint(fields=('project', 'event_id'), name='unique_event_id')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, reverse_move, elidable=True),
    ]
