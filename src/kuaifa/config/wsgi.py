"""The WSGI entry point for waitress (``kuaifa serve``) or gunicorn (``kuaifa.config.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
application = get_wsgi_application()
