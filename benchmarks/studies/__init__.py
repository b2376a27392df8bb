"""Studies: one module per question the project asked of its own engine.

Each is run as ``python -m benchmarks.studies.<name>``, writes into
``benchmarks/results/<name>/<date>/`` (its numbers as JSON, what it printed, and
``COMMAND.txt``), and defines the tables its docs page shows (``TABLES``, rendered by
``python -m benchmarks.tables``). The harness, profiles, peers, reports, dataset loaders
and the command line are the product; nothing there imports a study.

- ``defaults``: the course's recipe against ``search()``, and the measurements the
  protocol's defaults (early stopping, the refit policy) were chosen from.
- ``multifidelity``: Hyperband and ASHA against random search on the standard profile.
- ``architecture``: ``nas`` against random search on per-layer spaces; the controller on
  a synthetic reward.
- ``synthetic``: the strategies' ask/tell on synthetic objectives (no training); how the
  genetic algorithm's defaults were chosen.
- ``speed``: per-epoch speed, engine overhead, a trial's fixed cost, parallel scaling,
  memory.
"""

__all__: list[str] = []
