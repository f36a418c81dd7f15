# letta-mcp: `docker run -i IMAGE` speaks stdio (for an IDE); LETTA_MCP_TRANSPORT=http serves a team endpoint.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY letta_mcp ./letta_mcp
# The same install as the README's: pip install .
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin letta-mcp
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LETTA_MCP_PORT=8284
USER 10001
EXPOSE 8284
# Healthy when serving stdio (nothing to probe), or when /healthz answers in HTTP mode.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u; http = os.environ.get('LETTA_MCP_TRANSPORT', 'stdio') == 'http'; sys.exit(0 if not http or u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('LETTA_MCP_PORT', '8284'), timeout=4).status == 200 else 1)"]
ENTRYPOINT ["letta-mcp"]
