# syntax=docker/dockerfile:1
# The Havre operator image, for real registries:
#   docker build -t REGISTRY/havre/operator:0.1.0 .     (tag = charts/havre/values.yaml image.tag)
# The local platform cannot run this (no container engine, no registry); it builds an
# equivalent image from the same operator/requirements.txt (docs/install.md).

# Pinned by digest; refresh with `docker buildx imagetools inspect python:3.11-slim-bookworm`.
ARG PYTHON_BASE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

FROM ${PYTHON_BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/havre
COPY operator/requirements.txt /tmp/requirements.txt
# Wheels only: nothing is compiled, so no stage needs a compiler.
RUN /opt/havre/bin/pip install --only-binary=:all: --no-deps -r /tmp/requirements.txt
COPY pyproject.toml README.md /src/
COPY operator/havre /src/operator/havre
RUN /opt/havre/bin/pip install --no-deps /src \
 && /opt/havre/bin/python -m compileall -q /opt/havre

FROM ${PYTHON_BASE}
COPY --from=build /opt/havre /opt/havre
ENV PATH=/opt/havre/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The chart runs it as this user, with a read-only root filesystem.
USER 65532:65532
ENTRYPOINT ["havre-operator"]
