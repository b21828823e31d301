"""NN Lab core: models, training, data, caching and charts. Never imports streamlit."""
