"""Strategy framework: typed parameters, vectorised and event paths, and the built-ins."""

from crypto_trader.strategy.domain.framework.base import (
    BaseStrategy,
    Parameter,
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
from crypto_trader.strategy.domain.framework.signal_action import SignalAction, signal_actions

__all__ = [
    "BUILT_INS",
    "BaseStrategy",
    "EmaCross",
    "Parameter",
    "Signal",
    "SignalAction",
    "SignalFrame",
    "SmaCross",
    "create_strategy",
    "signal_actions",
    "strategy_class",
    "strategy_schemas",
]
