"""The one training loop: activations, models, the batched trainer and fit."""
