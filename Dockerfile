# Production image: the app under gunicorn, static files collected and served by whitenoise.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# These two need settings but no database and no lasting key: a throw-away key keeps the embedded
# database's development key file (.secret_key) out of the image.
RUN export SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    && python manage.py compile_translations \
    && STATIC_MANIFEST=true python manage.py collectstatic --noinput
RUN useradd --system --uid 1001 app && mkdir -p /app/media && chown -R app /app/media
USER app
ENV STATIC_MANIFEST=true
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120"]
