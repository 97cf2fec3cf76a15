from django.apps import AppConfig
from django.core.signals import request_finished


class OpsConfig(AppConfig):
    name = "ops"

    def ready(self) -> None:
        from ops import selfmonitor

        request_finished.connect(_clear_request_id, dispatch_uid="ops.clear_request_id")
        selfmonitor.init()


def _clear_request_id(**kwargs: object) -> None:
    from ops.logging import clear_request_id

    clear_request_id()
