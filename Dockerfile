FROM python:3.11-slim
# Python is all it needs: the Chinese font comes with the Python dependencies
# (Noto Sans SC); its Regular and Bold are instanced once here, not in every container.
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY pipeline pipeline
COPY letters letters
COPY workers workers
COPY console console
RUN pip install --no-cache-dir .
ENV COMPLAINTS_DATA_DIR=/data \
    COMPLAINTS_PDF_FONT_CACHE_DIR=/opt/complaints/fonts
RUN python -c "from pathlib import Path; from letters.pdf.fonts import FontSource, find_font_files; \
print(find_font_files(FontSource(search_path=(), cache_dir=Path('/opt/complaints/fonts'))))"
VOLUME /data
ENTRYPOINT ["complaints"]
