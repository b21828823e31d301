"""A neural network from scratch in NumPy on the 8x8 digits (net), checked against autograd and beside the
same network in NN Lab's engine (jobs), its maths (maths) and its claims."""
