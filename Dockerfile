FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY pipeline pipeline
COPY letters letters
COPY workers workers
COPY console console
RUN pip install --no-cache-dir .
ENV COMPLAINTS_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["complaints"]
