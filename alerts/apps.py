from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from alerts.rules import add_default_rule
        from projects.models import Project

        # projects sits below alerts and cannot create the rule itself.
        post_save.connect(add_default_rule, sender=Project, dispatch_uid="alerts-default-rule")
