# MicroSpaceGen in one image: the web server by default; the same image runs the job worker
# (`python app.py worker`) and the hardware controller (`python app.py controller`).
#
#   docker build -t microspacegen:0.1.0 .
#   docker compose up            (compose.yaml: app, worker, PostgreSQL, Redis)
#
# Not built on the machine these files were written on (it has no container engine): they are
# checked by tests/unit/test_deploy_files.py, which parses them against the app's own code.

# --- build: compile the requirements that PyPI has no wheel for ------------------------------
# mappy (minimap2's Python binding) ships as source only: it needs a C compiler and zlib's headers.
# Debian bookworm, not bullseye: pyfamsa's wheel wants glibc 2.34 or newer (bookworm has 2.36).
FROM python:3.11.14-slim-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY requirements.txt /tmp/requirements.txt
# The runtime pins only: no test, lint or browser tools in the image.
RUN pip install -r /tmp/requirements.txt

# --- runtime ----------------------------------------------------------------------------------
FROM python:3.11.14-slim-bookworm
LABEL org.opencontainers.image.title="MicroSpaceGen" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.description="Dashboard for space-microbiology experiments"
# No program outside Python is called at run time (minimap2 and FAMSA run in-process through
# mappy and pyfamsa; mash, samtools and bcftools are the tests' references only) except
# pg_dump, which `python app.py backup` runs for a PostgreSQL database: bookworm's client is
# PostgreSQL 15, the same major version as compose.yaml's server (pg_dump refuses newer servers).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it and files on volumes keep owners.
RUN groupadd --system --gid 10001 microspacegen \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/microspacegen --create-home \
        --shell /usr/sbin/nologin microspacegen
COPY --from=build /opt/venv /opt/venv
# The code belongs to root and is read-only for the app; numba's compiled kernels (cache=True)
# go to NUMBA_CACHE_DIR instead of __pycache__ beside the sources.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    MICROSPACEGEN_DATA_DIR=/data
WORKDIR /app
# What is copied is decided by .dockerignore: the packages, assets, app.py and contracts/build
# (the compiled ProvenanceRegistry the ledger deploys and calls); no tests, var/, .git or keys.
COPY . /app
RUN python -m compileall -q /app \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 700 /data
USER 10001:10001
# The database (when SQLite), secret key, content-addressed files, job files, the embedded
# chain and caches: everything that must outlive the container.
VOLUME ["/data"]
EXPOSE 8050
# Stop with SIGINT, not Docker's SIGTERM. The command runs as PID 1, and PID 1 gets only the
# signals it has a handler for: `serve` has none for SIGTERM (measured in a PID namespace: it
# ran on for 20 s, until killed), while SIGINT stops it cleanly with its controller (which
# hands its device leases back); for `worker` it means "finish the running jobs, then stop".
STOPSIGNAL SIGINT
# /readyz answers 200 once the database answers with the schema this code expects, 503 before;
# urlopen raises on anything but 2xx. The slim image has no curl: Python's urllib does it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/readyz', timeout=4)"]
CMD ["python", "app.py", "serve", "--host", "0.0.0.0", "--port", "8050"]
