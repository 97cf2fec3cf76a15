from django.db import migrations, models

# Tokens made before scopes existed keep every scope, so existing sentry-cli setups go on
# working; new tokens get only what their creator picks.
ALL_SCOPES = ["project:read", "event:read", "event:write", "project:write", "project:releases"]


def grant_everything(apps, schema_editor):
    apps.get_model("api", "ApiToken").objects.update(scopes=ALL_SCOPES)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(grant_everything, migrations.RunPython.noop),
    ]
