"""Strategy framework: typed parameters, vectorised and event paths, and the built-ins."""

from crypto_trader.strategy.domain.framework.base import (
    BaseStrategy,
    CandleFrame,
    Parameter,
    PriceBar,
    Signal,
    SignalFrame,
)
from crypto_trader.strategy.domain.framework.catalogue import (
    BUILT_INS,
    create_strategy,
    strategy_class,
    strategy_schemas,
)
from crypto_trader.strategy.domain.framework.moving_average_cross import EmaCross, SmaCross

__all__ = [
    "BUILT_INS",
    "BaseStrategy",
    "CandleFrame",
    "EmaCross",
    "Parameter",
    "PriceBar",
    "Signal",
    "SignalFrame",
    "SmaCross",
    "create_strategy",
    "strategy_class",
    "strategy_schemas",
]
