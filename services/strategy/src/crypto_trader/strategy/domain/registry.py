"""The strategies this service can run: the built-ins plus user strategies, loaded or failed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework import BUILT_INS, BaseStrategy
from crypto_trader.strategy.domain.indicators import CandleFrame

BUILT_IN_SOURCE = "built-in"


@dataclass(frozen=True, slots=True)
class StrategyEntry:
    """One strategy the registry knows: its class, or the error that kept it from loading."""

    name: str
    source: str
    strategy_class: type[BaseStrategy] | None = None
    error: str = ""

    @property
    def failed(self) -> bool:
        """Tell whether the strategy failed to import or validate."""
        return self.strategy_class is None

    @property
    def description(self) -> str:
        """Return the strategy's description, or why it failed to load."""
        if self.strategy_class is None:
            return f"failed to load from {self.source}: {self.error}"
        return self.strategy_class.description


def validate_strategy_class(strategy_class: type[BaseStrategy]) -> None:
    """Check that a strategy class can run: a name, a schema, valid defaults and both paths.

    Raises
    ------
    InvalidInput
        With what is wrong.
    """
    name = getattr(strategy_class, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidInput(f"{strategy_class.__name__}: `name` must be an identifier, got {name!r}")
    if not isinstance(getattr(strategy_class, "description", None), str):
        raise InvalidInput(f"{name}: `description` must be a string")
    if not isinstance(getattr(strategy_class, "parameters", None), tuple):
        raise InvalidInput(f"{name}: `parameters` must be a tuple of Parameter")
    try:
        strategy = strategy_class()
        if strategy.warmup < 0:
            raise InvalidInput(f"warm-up must not be negative, got {strategy.warmup}")
        # A few candles through both paths catch a strategy that crashes on its first data.
        close = np.linspace(100.0, 101.0, 3)
        frame = CandleFrame(np.arange(3, dtype=np.int64), close, close, close, close, close)
        strategy.generate(frame)
        for index in range(len(frame)):
            strategy.on_candle(frame.bar(index))
        strategy.reset()
    except Exception as error:  # noqa: BLE001 - user code: any failure is a validation error
        raise InvalidInput(f"{name}: {type(error).__name__}: {error}") from None


class StrategyRegistry:
    """Strategies by name: the built-ins first, then user strategies (which may not shadow them)."""

    def __init__(self, entries: Iterable[StrategyEntry] = ()) -> None:
        self._entries: dict[str, StrategyEntry] = {}
        for entry in entries:
            self.add(entry)

    @classmethod
    def with_built_ins(cls) -> StrategyRegistry:
        """Return a registry holding every built-in strategy."""
        return cls(StrategyEntry(n, BUILT_IN_SOURCE, c) for n, c in sorted(BUILT_INS.items()))

    def add(self, entry: StrategyEntry) -> StrategyEntry:
        """Register one entry; a name already taken is recorded as failed under its source."""
        existing = self._entries.get(entry.name)
        if existing is not None and not existing.failed:
            if existing.strategy_class is entry.strategy_class:
                return existing
            entry = StrategyEntry(
                f"{entry.name}@{entry.source}",
                entry.source,
                error=f"name {entry.name!r} is already taken by {existing.source}",
            )
        self._entries[entry.name] = entry
        return entry

    def add_class(self, strategy_class: type[BaseStrategy], source: str) -> StrategyEntry:
        """Validate and register a strategy class (registered as failed when it is invalid)."""
        try:
            validate_strategy_class(strategy_class)
        except InvalidInput as error:
            name = getattr(strategy_class, "name", None)
            label = name if isinstance(name, str) and name else strategy_class.__name__
            return self.add(StrategyEntry(label, source, error=str(error)))
        return self.add(StrategyEntry(strategy_class.name, source, strategy_class))

    def entries(self) -> list[StrategyEntry]:
        """Return every entry, loaded or failed, sorted by name."""
        return [self._entries[name] for name in sorted(self._entries)]

    def strategy_class(self, name: str) -> type[BaseStrategy]:
        """Return the strategy called ``name``.

        Raises
        ------
        InvalidInput
            When no strategy has that name, or it failed to load.
        """
        entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(n for n, e in sorted(self._entries.items()) if not e.failed)
            raise InvalidInput(f"unknown strategy {name!r}; known: {known}")
        if entry.strategy_class is None:
            raise InvalidInput(f"strategy {name!r} {entry.description}")
        return entry.strategy_class

    def create(self, name: str, params: Mapping[str, object] | None = None) -> BaseStrategy:
        """Build the strategy ``name`` from raw parameter values."""
        return self.strategy_class(name)(params)
