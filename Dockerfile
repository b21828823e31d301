# NN Lab, hosted mode, CPU only. Build: docker build -t nnlab .   Run one: see the README's "Deploy it";
# two replicas behind a proxy with PostgreSQL: compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
# torch first, from PyTorch's CPU index with pip's own --index-url (the public index's Linux torch is the
# CUDA build: several GB). requirements.txt's torch==2.13.0 then matches the installed 2.13.0+cpu (a local
# version label is ignored by ==), so pip keeps it; the last line fails the build if a CUDA torch got in.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.txt \
 && python -c "import torch, sys; sys.exit(f'not a CPU-only torch: CUDA {torch.version.cuda}' if torch.version.cuda else 0)"

# the code belongs to root and is only read; the app writes only to its data folder
COPY . .
RUN useradd --create-home --uid 10001 nnlab && mkdir -p /data && chown nnlab:nnlab /data
USER nnlab

# NNLAB_DATA_DIR holds the result cache (and, without NNLAB_STORAGE, the tuner's SQLite file): replicas that
# share it serve each other's results. NNLAB_MAX_CONCURRENT: trainings at once in this container.
ENV NNLAB_HOSTED=1 NNLAB_DATA_DIR=/data NNLAB_MAX_CONCURRENT=2
VOLUME /data
EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", \
     "--client.showErrorDetails=none", "--server.maxUploadSize=5"]
