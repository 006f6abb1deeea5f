"""The from-scratch NumPy network: activations, losses, initialisation, optimisers, schedules, the MLP, augmentation.

Every array here is row-major with rows as samples: a batch is (B, n_features), a weight matrix (fan_in, fan_out).
"""
