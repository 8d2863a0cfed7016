"""A named registry: adding a loader, a forecaster or a detector is one decorated entry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class Registry:
    """Maps names to factories; an unknown name raises a ``KeyError`` that lists the known ones.

    >>> shapes = Registry("shapes", setting="geometry.shape")
    >>> @shapes.register("square")
    ... def square(side):
    ...     return side * side
    >>> shapes["square"](3)
    9
    >>> shapes["circle"]
    Traceback (most recent call last):
    KeyError: "geometry.shape: unknown shapes 'circle'; registered: ['square']"
    """

    def __init__(self, kind: str, setting: str) -> None:
        self.kind = kind
        self.setting = setting
        self._entries: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def wrap(factory: Callable[..., Any]) -> Callable[..., Any]:
            self._entries[name] = factory
            return factory

        return wrap

    def __getitem__(self, name: str) -> Callable[..., Any]:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"{self.setting}: unknown {self.kind} {name!r}; registered: {sorted(self._entries)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
