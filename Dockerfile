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
# strip (binutils, in this stage only): the extension modules in the wheels carry symbol tables
# and debug information (10 MB of the 17 MB they take); the unpinned version is bookworm's.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/* \
    && python -m venv /opt/venv
# The package and its dependencies, every version pinned by the constraints file. Then what
# never runs leaves the virtualenv: pip and setuptools (nothing installs at run time), byte
# code (--no-compile; the root file system is read-only, so none is written later either), the
# extension modules' symbols and debug information, the test suites some wheels ship, the
# asynchronous copy of the Kubernetes client (41 MB the operator never imports: it runs
# kubernetes.client off the event loop), and the simulator's script (.dockerignore keeps the
# simulator out of the build context). A build that needs a pip configuration or a certificate
# authority to reach PyPI mounts them at build time (README: "Building the image"): they never
# reach a layer.
COPY pyproject.toml constraints.txt README.md ./
COPY src/ ./src/
RUN /opt/venv/bin/pip install --no-cache-dir --no-compile --constraint constraints.txt . \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && rm -rf /opt/venv/bin/adobe-oauth-sim /opt/venv/lib/python3.11/site-packages/*/tests \
        /opt/venv/lib/python3.11/site-packages/kubernetes/aio \
    && find /opt/venv -name '*.so' -exec strip --strip-unneeded {} +

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="adobe-oauth-operator" \
      org.opencontainers.image.version="0.1.0" \
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
