"""Every existing project gets the default rule (new, regression, unignored -> email), so
alerts keep going exactly where they went before rules existed."""

from django.db import migrations


def add_default_rules(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.bulk_create(
        [
            AlertRule(
                project_id=pk,
                name="Email the team",
                on_new=True,
                on_regression=True,
                on_unignored=True,
                email=True,
            )
            for pk in Project.objects.values_list("pk", flat=True)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_channels_and_rules")]

    operations = [migrations.RunPython(add_default_rules, migrations.RunPython.noop)]
