# One image for every mnistq service (migrate, worker, scheduler, flower, ui); docker-compose.yml picks the command.
#   docker build -t mnistq .        (or: docker compose build)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MNISTQ_DATA_DIR=/data

# An unprivileged user; /data (downloaded datasets) is theirs, so a named volume mounted there is too.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mnistq \
    && mkdir /data && chown mnistq:mnistq /data

# Dependencies only, read from pyproject.toml at the versions pinned in constraints.txt (the ones the tests ran
# against; scripts/constraints.py regenerates it): this layer is rebuilt when either file changes, not the code.
WORKDIR /app
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['monitor'] \
+ p['optional-dependencies']['ui']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c constraints.txt \
    && rm /tmp/requirements.txt

# The project itself (see .dockerignore), installed without touching the dependencies again.
COPY . /tmp/src
RUN pip install --no-deps /tmp/src && rm -rf /tmp/src
COPY examples/ /app/examples/

USER mnistq
# Documentation only (compose publishes it): `mnistq ui --host 0.0.0.0 --port 8080`, with MNISTQ_UI_TOKEN.
EXPOSE 8080
CMD ["mnistq", "--help"]
