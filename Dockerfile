# syntax=docker/dockerfile:1
# remediate as a service: `docker build -t remediate .` then see README.md ("Container").
#
# Two stages: the first builds wheels of remediate and every dependency (PostgreSQL driver
# included); the second installs only those wheels into a clean slim image and runs as a
# non-root user with a fixed UID, so files on the /data volume keep a predictable owner.

# Pinned to a patch release; pin the digest too (python:3.11.13-slim-bookworm@sha256:...) in
# your own registry mirror for fully reproducible builds.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY connectors ./connectors
RUN pip wheel --wheel-dir /wheels ".[postgres]"

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG SOURCE_URL=https://github.com/remediate-dev/remediate
LABEL org.opencontainers.image.title="remediate" \
      org.opencontainers.image.description="Postmortem action items as tracked tickets: sync, status, digests, audits." \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# The user first, so its IDs never depend on what a package install creates.
RUN groupadd --system --gid 10001 remediate \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin remediate \
 && mkdir -p /data \
 && chown 10001:10001 /data

COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index --find-links /tmp/wheels "remediate[postgres]" \
 && rm -rf /tmp/wheels

# /data holds remediate.toml (read from the working directory) and the default SQLite database
# (/data/remediate/remediate.db). REMEDIATE_DATABASE_URL selects PostgreSQL instead.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/data \
    XDG_DATA_HOME=/data \
    XDG_CONFIG_HOME=/data/config \
    REMEDIATE_HTTP_HOST=0.0.0.0
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080

# No curl in a slim image: Python asks /healthz (503, or no answer, fails the check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]

# SIGTERM (docker stop) lets the running job finish; give long syncs time: docker stop -t 120.
STOPSIGNAL SIGTERM
ENTRYPOINT ["remediate"]
CMD ["schedule", "--http", "8080"]
