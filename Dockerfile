# syntax=docker/dockerfile:1
# The operator image: dependencies from constraints.txt installed into a virtualenv in a build
# stage, copied into a clean runtime stage that runs as a non-root numeric user. The entrypoint
# is the console script itself (exec form): nothing at run time needs a shell.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
# The package and its dependencies, every version pinned by the constraints file; pip,
# setuptools and wheel leave the virtualenv afterwards (nothing installs at run time).
COPY pyproject.toml constraints.txt README.md ./
COPY src/ ./src/
RUN /opt/venv/bin/pip install --no-cache-dir --constraint constraints.txt . \
    && /opt/venv/bin/pip uninstall --yes pip setuptools wheel

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="adobe-oauth-operator" \
      org.opencontainers.image.description="Rotates Adobe OAuth Server-to-Server client secrets without downtime" \
      org.opencontainers.image.licenses="Apache-2.0"
# USER: kopf names a peer after getpass.getuser() when POD_ID is unset (the chart sets it), and
# uid 65532 has no passwd entry to look up.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    USER=operator
COPY --from=build /opt/venv /opt/venv
# 65532 is the conventional "nonroot" uid/gid; no passwd entry is needed.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/opt/venv/bin/adobe-oauth-operator"]
CMD ["run", "--liveness", "http://0.0.0.0:8080/healthz"]
