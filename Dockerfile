# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The production lock only: no test, lint or type tools, no browser driver in the image.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only-key-build-only-key-build-only-key-build-only DEBUG=false python manage.py collectstatic --noinput
RUN useradd --create-home wisselstroom
USER wisselstroom
EXPOSE 8000
# The default command is web: its workers keep their request counters in a directory /metrics
# adds up (set for web alone; gunicorn.conf.py creates and empties it).
CMD ["env", "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus", \
     "gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
