"""The seed course's California housing search, with each of the four strategies.

The course's regression space (hidden_layers 1-4, layer_size 1-99, learning_rate 1e-4..1e-2
log), ``n_trials=10``, ``cv=3``, judged by one protocol; prints each strategy's best params,
best CV score (neg MSE), test MSE of ``best_estimator_`` and wall time.

    python examples/california_search.py [--trials 10] [--epochs 100]
"""

from __future__ import annotations

import argparse
import time

from sklearn.metrics import mean_squared_error

from benchmarks.datasets import load_california_housing
from search import search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategies", nargs="+", default=["grid", "random", "genetic", "tpe"])
    args = parser.parse_args()

    data = load_california_housing()
    print(data.summary())
    rows = []
    for strategy in args.strategies:
        start = time.perf_counter()
        result = search(
            strategy,
            "california_mlp",
            data=data,
            n_trials=args.trials,
            cv=3,
            epochs=args.epochs,
            seed=args.seed,
            progress=False,
        )
        wall = time.perf_counter() - start
        test_mse = mean_squared_error(data.y_test, result.best_estimator_.predict(data.X_test))
        rows.append((strategy, result.best_params_, result.best_score_, test_mse, wall))
        print(
            f"{strategy:8s} best CV neg-MSE {result.best_score_:.4f}  test MSE {test_mse:.4f}  "
            f"wall {wall:.0f} s  best params {result.best_params_}",
            flush=True,
        )
    print("\n| strategy | best CV score (neg MSE) | test MSE | wall time (s) | best params |")
    print("|---|---|---|---|---|")
    for strategy, params, score, mse, wall in rows:
        print(f"| {strategy} | {score:.4f} | {mse:.4f} | {wall:.0f} | {params} |")


if __name__ == "__main__":
    main()
