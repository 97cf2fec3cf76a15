import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")

django_application = get_wsgi_application()

from core import request_body  # noqa: E402
from ingest.wsgi import IngestFirst  # noqa: E402 (needs the apps loaded)

# SDK traffic is answered before Django's request handler (see ingest/wsgi.py), and reads its
# body itself; the rest reaches Django with a body that answers 408 when it stalls.
application = IngestFirst(request_body.guard(django_application))
