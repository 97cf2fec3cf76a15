from django.apps import AppConfig
from django.core.signals import request_finished


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core import selfmonitor

        request_finished.connect(_clear_request_id, dispatch_uid="core.clear_request_id")
        selfmonitor.init()


def _clear_request_id(**kwargs: object) -> None:
    from core.logging import clear_request_id

    clear_request_id()
