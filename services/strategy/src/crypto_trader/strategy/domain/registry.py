"""The strategies this service can run, with their parameters, for ListStrategies and validation."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from crypto_trader.common.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One parameter of a strategy: its type, default and allowed range (empty means unbounded)."""

    name: str
    kind: str
    default: str
    minimum: str = ""
    maximum: str = ""


@dataclass(frozen=True, slots=True)
class StrategyDescription:
    """A strategy the service can run."""

    name: str
    description: str
    parameters: tuple[ParameterSpec, ...]


STRATEGIES = MappingProxyType(
    {
        "sma_cross": StrategyDescription(
            name="sma_cross",
            description=(
                "Long-only simple moving average cross on closed candles: enter when the fast SMA "
                "crosses above the slow SMA, exit when it crosses below."
            ),
            parameters=(
                ParameterSpec("fast", "int", "10", minimum="1"),
                ParameterSpec("slow", "int", "30", minimum="2"),
            ),
        ),
    }
)


def list_strategies() -> list[StrategyDescription]:
    """Return every registered strategy, sorted by name."""
    return [STRATEGIES[name] for name in sorted(STRATEGIES)]


def describe_strategy(name: str) -> StrategyDescription:
    """Return a registered strategy.

    Raises
    ------
    InvalidInput
        When no strategy has that name.
    """
    try:
        return STRATEGIES[name]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise InvalidInput(f"unknown strategy {name!r}; known: {known}") from None
