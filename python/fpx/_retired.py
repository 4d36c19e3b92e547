"""Spellings fpx no longer uses, each refused with a message that names the one that replaced
it (one name for one thing across C++, the CLI, Python and JSON)."""

from __future__ import annotations

# Module attributes: old name -> what to use instead.
ATTRIBUTES = {
    "communication_bounds": "fpx.CommunicationBounds(matrix)",
    "lower_bounds": "fpx.CommunicationBounds(matrix)",
}


def attribute(name: str):
    if name in ATTRIBUTES:
        raise AttributeError(f"fpx.{name} is a retired spelling; use {ATTRIBUTES[name]}")
    raise AttributeError(f"module 'fpx' has no attribute {name!r}")


class Keys(dict):
    """A dict whose retired keys raise KeyError naming the key that replaced them."""

    def __init__(self, values: dict, retired: dict[str, str]):
        super().__init__(values)
        self._retired = retired

    def __missing__(self, key):
        if key in self._retired:
            raise KeyError(f"{key!r} is a retired key; use {self._retired[key]!r}")
        raise KeyError(key)

    def get(self, key, default=None):
        if key in self._retired and not dict.__contains__(self, key):
            self.__missing__(key)
        return super().get(key, default)


def keyword(function: str, given: dict, retired: dict[str, str]) -> None:
    """Refuses retired keyword arguments of `function` (old -> new) in `given`."""
    for old, new in retired.items():
        if old in given:
            raise TypeError(f"{function}() argument {old!r} is a retired spelling; use {new!r}")


def renamed(names: dict[str, str]):
    """A decorator: calls with a retired keyword (old -> new) raise TypeError naming the new one."""
    import functools

    def wrap(function):
        @functools.wraps(function)
        def checked(*args, **kwargs):
            keyword(function.__name__, kwargs, names)
            return function(*args, **kwargs)
        return checked
    return wrap
