# Event and PayloadDictionary move to the `events` app. Their tables keep their names
# (issues_event, issues_payloaddictionary), so only Django's model state changes: no row moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('issues', '0005_payload_dictionaries_and_event_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='payloaddictionary', name='project'),
                migrations.DeleteModel(name='Event'),
                migrations.DeleteModel(name='PayloadDictionary'),
            ],
            database_operations=[],
        ),
    ]
