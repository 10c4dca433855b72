"""The authors' TMA, as a baseline: every round, each test point takes the argmin over ALL remaining
training rows of the full float32 distance matrix (taken rows masked with +inf, so the whole matrix is
rescanned every round: O(rounds * n * m)). np.argmin returns the first index on ties, i.e. the lowest
training row. A round's picks are deduplicated, ordered by training index, then removed.

usage: python3 tma_numpy.py distances.npy order_out.npy rounds_out.npy
distances.npy: float32, shape (m, n) (test-major). Prints one JSON line with the algorithm's seconds.
"""
import json
import sys
import time

import numpy as np


def tma(dist: np.ndarray):
    m, n = dist.shape
    order = []
    rounds = []
    taken = 0
    while taken < n:
        picks = np.unique(np.argmin(dist, axis=1))  # sorted, duplicates merged
        dist[:, picks] = np.inf
        order.append(picks)
        rounds.append(len(picks))
        taken += len(picks)
    return np.concatenate(order).astype(np.int32), np.array(rounds, dtype=np.int32)


def main():
    dist = np.load(sys.argv[1])
    dist = np.ascontiguousarray(dist, dtype=np.float32)
    t0 = time.perf_counter()
    order, rounds = tma(dist)
    seconds = time.perf_counter() - t0
    np.save(sys.argv[2], order)
    np.save(sys.argv[3], rounds)
    print(json.dumps({"seconds": seconds, "rounds": int(len(rounds)), "numpy": np.__version__}))


if __name__ == "__main__":
    main()
