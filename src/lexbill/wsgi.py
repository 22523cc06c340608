"""WSGI entry point for ``lexbill serve`` and any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
application = get_wsgi_application()
