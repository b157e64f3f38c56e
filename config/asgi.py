from __future__ import annotations

from django.conf import settings
from django.core.asgi import get_asgi_application

from config import startup

# Before anything else is loaded: a bad environment is one line and a refusal to serve.
startup.load_settings()
startup.check_server(debug=settings.DEBUG)
application = get_asgi_application()
