"""Optimizers on a surface: torch.optim's SGD, momentum and Adam stepping two parameters down a classic
loss surface (jobs), their claims and their charts."""
