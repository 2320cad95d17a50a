"""The built-in strategies by name, and building one from raw parameter values."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework.base import BaseStrategy
from crypto_trader.strategy.domain.framework.indicator_strategies import INDICATOR_STRATEGIES
from crypto_trader.strategy.domain.framework.moving_average_cross import EmaCross, SmaCross

_CLASSES: tuple[type[BaseStrategy], ...] = (SmaCross, EmaCross, *INDICATOR_STRATEGIES)
BUILT_INS: Mapping[str, type[BaseStrategy]] = MappingProxyType(
    {strategy.name: strategy for strategy in _CLASSES}
)


def strategy_class(name: str) -> type[BaseStrategy]:
    """Return the built-in strategy called ``name``.

    Raises
    ------
    InvalidInput
        When no strategy has that name.
    """
    try:
        return BUILT_INS[name]
    except KeyError:
        known = ", ".join(sorted(BUILT_INS))
        raise InvalidInput(f"unknown strategy {name!r}; known: {known}") from None


def create_strategy(name: str, params: Mapping[str, object] | None = None) -> BaseStrategy:
    """Build a built-in strategy from raw parameter values (strings or numbers)."""
    return strategy_class(name)(params)


def strategy_schemas() -> list[dict[str, object]]:
    """Return the schema of every built-in strategy, sorted by name."""
    return [BUILT_INS[name].schema() for name in sorted(BUILT_INS)]
