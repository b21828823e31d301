"""scikit-learn's 8x8 handwritten digits with the tutorial's split."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# the tutorial's split of sklearn's 1,797 digits: training rows, test rows, pixels
TRAIN_ROWS, TEST_ROWS, FEATURES = 1437, 360, 64


@lru_cache(maxsize=2)
def digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """sklearn's 8x8 digits, the tutorial's split (80/20, random_state 42), pixels scaled to [0, 1].

    Returns X_train [1437, 64], y_train [1437], X_test [360, 64], y_test [360].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, d.target, test_size=0.2, random_state=42)
    return Xtr, ytr.astype(np.int64), Xte, yte.astype(np.int64)
