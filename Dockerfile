# Production image: Debian's GDAL/GEOS/PROJ, pinned Python deps, gunicorn.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 GRIDGOV_DEBUG=0 GRIDGOV_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends \
      gdal-bin libgdal32 libgeos-c1v5 libproj25 binutils fonts-noto-cjk postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Build step only: no secret, hosts or database exist yet (production settings refuse to start without them).
RUN GRIDGOV_ENV=build GRIDGOV_DEBUG=1 python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app gridgov && mkdir -p /data/media && chown gridgov /data/media
USER gridgov
EXPOSE 8000
CMD ["gunicorn", "gridgov.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
