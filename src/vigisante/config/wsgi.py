"""WSGI entry point used by `vigisante serve`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigisante.config.settings")
application = get_wsgi_application()
