"""What `ct backtest` prints and saves: results as JSON values and as a terminal table."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    BacktestResult,
    Metrics,
    Trade,
)


def iso(ms: int) -> str:
    """Return epoch milliseconds as an ISO 8601 UTC time."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def json_number(value: float | int | None) -> float | int | None:
    """Return a number JSON can hold: None for infinity and NaN."""
    # JSON has no infinity or NaN: undefined ratios are null.
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def result_to_json(result: BacktestResult, data: Path | str) -> dict[str, Any]:
    """Encode a result for the ``--output`` file: settings, final equity, metrics and trades."""
    times = result.open_time_ms
    open_position = result.open_position
    return {
        "strategy": result.strategy,
        "params": result.params,
        "data": str(data),
        "candles": len(times),
        "start": iso(int(times[0])) if len(times) else None,
        "end": iso(int(times[-1])) if len(times) else None,
        **config_to_json(result.config),
        "final_equity": result.final_equity,
        "cash": result.cash,
        "fills": result.fills,
        "metrics": {name: json_number(value) for name, value in result.metrics.as_dict().items()},
        "trades": [trade_to_json(trade) for trade in result.trades],
        "open_position": None
        if open_position is None
        else {
            "side": open_position.side,
            "size": open_position.size,
            "entry_bar": open_position.entry_bar,
            "entry_time": iso(open_position.entry_time_ms),
            "entry_price": open_position.entry_price,
        },
    }


def config_to_json(config: BacktestConfig) -> dict[str, Any]:
    """Encode the cash and cost settings of a backtest for the ``--output`` file."""
    return {
        "initial_cash": config.initial_cash,
        "fee_rate": config.fee_rate,
        "maker_fee": config.fees.maker,
        "taker_fee": config.fees.taker,
        "slippage_bps": config.slippage_bps,
        "slippage_model": type(config.slippage).__name__,
        "order_type": config.order_type,
    }


def trade_to_json(trade: Trade) -> dict[str, Any]:
    """Encode one closed trade for the ``--output`` file."""
    return {
        **trade.as_dict(),
        "entry_time": iso(trade.entry_time_ms),
        "exit_time": iso(trade.exit_time_ms),
        "return_pct": trade.return_pct,
    }


def summary_table(title: str, final_equity: float, metrics: Metrics) -> Table:
    """Return the final equity and every metric as a two-column table."""
    table = Table(title=escape(title), show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("final equity", f"{final_equity:,.2f}")
    percent = {"total_return", "cagr", "max_drawdown", "win_rate", "exposure"}
    for name, value in metrics.as_dict().items():
        if value is None:
            text = "-"
        elif name in percent:
            text = f"{100 * value:.2f} %"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = f"{value:,.4f}"
        table.add_row(name.replace("_", " "), text)
    return table
