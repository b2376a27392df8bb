"""Every package declares its public API once, in ``__all__``, and it all exists."""

import importlib

import pytest

PACKAGES = [
    "spaces",
    "models",
    "search",
    "search.strategies",
    "search.testing",
    "search.trial",
    "search.fingerprint",
    "search.multifidelity",
    "benchmarks",
    "benchmarks.datasets",
    "benchmarks.tables",
    "benchmarks.curves",
    "benchmarks.simulate",
    "benchmarks.simulate_validate",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_are_public(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, f"{name} declares no public names"
    assert len(set(module.__all__)) == len(module.__all__)
    for member in module.__all__:
        assert not member.startswith("_")
        assert hasattr(module, member), f"{name}.{member} is in __all__ but missing"


def test_search_facade_is_importable_as_documented() -> None:
    from search import search

    assert callable(search)
