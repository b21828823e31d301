"""NN Lab core: models, training, data, caching and charts. Never imports streamlit."""

import os

# torch's CPU matrix products are MKL's. Unless MKL's Conditional Numerical Reproducibility mode is on, a product
# may get other bits in a batch of several than alone (measured on AMD EPYC with AVX-512: torch.bmm of [10, B] x
# [B, 100] matrices, one against three of them), which would give a model merged with others' (core.serve.merge)
# numbers that are not its own. "AUTO" keeps MKL's fastest code path for the CPU. MKL reads the setting at its
# first call, which comes after this (importing torch makes none); a value set outside is kept.
os.environ.setdefault("MKL_CBWR", "AUTO")
