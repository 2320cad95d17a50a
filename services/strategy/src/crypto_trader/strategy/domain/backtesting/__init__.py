"""Backtesting engine: every order type, long and short, several symbols, costs and metrics."""

from crypto_trader.strategy.domain.backtesting.account import (
    ORDER_TYPES,
    BacktestConfig,
    Decision,
    OpenPosition,
    Trade,
    decide,
)
from crypto_trader.strategy.domain.backtesting.costs import (
    EXCHANGE_FEES,
    SLIPPAGE_MODELS,
    FeeModel,
    FixedSlippage,
    OrderContext,
    SlippageModel,
    SpreadSlippage,
    VolumeShareSlippage,
    slippage_model,
)
from crypto_trader.strategy.domain.backtesting.engine import (
    EventBacktest,
    run_backtest,
    run_event_backtest,
    simulate,
)
from crypto_trader.strategy.domain.backtesting.metrics import Metrics, compute_metrics
from crypto_trader.strategy.domain.backtesting.orders import Bracket
from crypto_trader.strategy.domain.backtesting.portfolio import (
    PortfolioResult,
    run_portfolio_backtest,
)
from crypto_trader.strategy.domain.backtesting.result import BacktestResult, position_curve
from crypto_trader.strategy.domain.backtesting.trade_log import TradeColumns, TradeLog

__all__ = [
    "EXCHANGE_FEES",
    "ORDER_TYPES",
    "SLIPPAGE_MODELS",
    "Bracket",
    "FeeModel",
    "FixedSlippage",
    "OrderContext",
    "PortfolioResult",
    "SlippageModel",
    "SpreadSlippage",
    "VolumeShareSlippage",
    "run_portfolio_backtest",
    "slippage_model",
    "BacktestConfig",
    "BacktestResult",
    "Decision",
    "EventBacktest",
    "Metrics",
    "OpenPosition",
    "Trade",
    "TradeColumns",
    "TradeLog",
    "compute_metrics",
    "position_curve",
    "decide",
    "run_backtest",
    "run_event_backtest",
    "simulate",
]
