import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")

django_application = get_wsgi_application()

from ingest.wsgi import IngestFirst  # noqa: E402 (needs the apps loaded)

# SDK traffic is answered before Django's request handler; see ingest/wsgi.py.
application = IngestFirst(django_application)
