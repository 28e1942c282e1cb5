"""WSGI entry point, used by ``kam serve`` (gunicorn).

A WSGI server started without the ``kam`` command still writes kam's files privately: the
umask is kam's own (``kam.datadir.UMASK``, files 0600).
"""

import os

from django.core.wsgi import get_wsgi_application

from kam.datadir import UMASK

os.umask(UMASK)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()
