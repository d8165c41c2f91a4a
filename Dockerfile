# The caseapp image: web (`caseapp web`), worker (`caseapp worker`), beat (`caseapp beat`) and migrations
# (`caseapp db upgrade`) all run from it; docker-compose.yml wires them together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CASEAPP_VAR_DIR=/app/var \
    PYTHONPATH=/app

# templates/ and migrations/ live next to the caseapp package, not inside it (the project layout), so the code runs
# from /app (PYTHONPATH) and `pip install .` provides the dependencies and the `caseapp` command.
WORKDIR /app
COPY pyproject.toml README.md ./
COPY caseapp ./caseapp
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
RUN pip install . \
    && rm -rf build caseapp.egg-info \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin caseapp \
    && mkdir -p /app/var \
    && chown caseapp:caseapp /app/var

USER caseapp
EXPOSE 8000
CMD ["caseapp", "web"]
