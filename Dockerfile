# The app image used by compose.yaml (the PWA build stage joins with the PWA).
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY server server
COPY geo geo
COPY pwa/placeholder pwa/placeholder
RUN pip install --no-cache-dir -c constraints.txt .
USER nobody
EXPOSE 8000
CMD ["bosai", "serve"]
