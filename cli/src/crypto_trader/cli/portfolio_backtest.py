"""`ct backtest` over several symbols: one cash balance, a table per symbol, JSON and report."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from crypto_trader.cli.backtest_output import (
    config_to_json,
    iso,
    json_number,
    summary_table,
    trade_to_json,
)
from crypto_trader.cli.backtest_report import write_portfolio_report
from crypto_trader.cli.backtest_sources import Market, MarketSource, align_frames
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    PortfolioResult,
    run_portfolio_backtest,
)
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame


def symbol_summary(result: PortfolioResult, symbol: str, frame: CandleFrame) -> dict[str, Any]:
    """Return one symbol's share of a portfolio result: its trades, PnL, fees and holding."""
    trades = [trade for trade in result.trades if trade.symbol == symbol]
    held = float(result.positions[symbol][-1])
    last_close = float(frame.close[-1])
    return {
        "closed_trades": len(trades),
        "wins": sum(1 for trade in trades if trade.pnl > 0),
        "realised_pnl": sum(trade.pnl for trade in trades),
        "fees": sum(trade.fees for trade in trades),
        # signed: negative when short
        "position": held,
        "last_close": last_close,
        "position_value": held * last_close,
        "trades": [trade_to_json(trade) for trade in trades],
    }


@dataclass(frozen=True, slots=True)
class PortfolioRun:
    """One multi-symbol backtest as `ct backtest` asked for it."""

    strategy: str
    params: Mapping[str, object]
    config: BacktestConfig
    market: Market
    output: Path | None = None
    report: Path | None = None

    def execute(
        self,
        sources: Sequence[MarketSource],
        read: Callable[[MarketSource], CandleFrame],
        progress: Progress,
    ) -> list[RenderableType]:
        """Read every symbol's candles, backtest them together, write the files; return what
        to print."""
        task = progress.add_task("reading candles", total=len(sources))
        loaded: dict[str, CandleFrame] = {}
        for source in sources:
            label = source.path.name if source.path else self.market.label(source.symbol)
            progress.update(task, description=f"reading {escape(label)}")
            loaded[source.symbol] = read(source)
            progress.advance(task)
        frames, dropped = align_frames(loaded)
        count = len(next(iter(frames.values())))
        progress.update(task, description=f"backtesting {count} candles × {len(frames)}", total=1)

        def report_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=max(total, 1))

        # One strategy object per symbol: the event path keeps per-market state.
        strategies = {symbol: create_strategy(self.strategy, self.params) for symbol in frames}
        result = run_portfolio_backtest(strategies, frames, self.config, report_progress)
        name = next(iter(strategies.values()))
        title = f"{name.name} {name.params} on {', '.join(frames)}"
        if self.output is not None:
            progress.update(task, description="writing JSON")
            document = self.to_json(result, frames, sources, dropped, name.params)
            self.output.write_text(json.dumps(document, indent=1))
        if self.report is not None:
            progress.update(task, description="writing report")
            write_portfolio_report(
                result,
                frames,
                self.report,
                title=f"Backtest {title}",
                initial_cash=self.config.initial_cash,
            )
        times = next(iter(frames.values())).open_time_ms
        lines: list[RenderableType] = [
            _symbols_table(result, frames),
            summary_table(f"portfolio: {title}", result.final_equity, result.metrics),
            f"{count} candles per symbol from {iso(int(times[0]))} to {iso(int(times[-1]))}; "
            f"{len(result.trades)} closed trades; cash {result.cash:,.2f}",
        ]
        if any(dropped.values()):
            lines.append(
                "left out (not at a time every symbol has): "
                + ", ".join(f"{symbol} {n}" for symbol, n in dropped.items() if n)
            )
        return lines

    def to_json(
        self,
        result: PortfolioResult,
        frames: Mapping[str, CandleFrame],
        sources: Sequence[MarketSource],
        dropped: Mapping[str, int],
        params: Mapping[str, object],
    ) -> dict[str, Any]:
        """Encode the result for ``--output``: settings, portfolio metrics, per-symbol trades."""
        times = next(iter(frames.values())).open_time_ms
        return {
            "strategy": self.strategy,
            "params": dict(params),
            "symbols": list(frames),
            "data": {
                s.symbol: str(s.path) if s.path else self.market.store_label(s.symbol)
                for s in sources
            },
            "candles": len(times),
            "start": iso(int(times[0])),
            "end": iso(int(times[-1])),
            "dropped_candles": dict(dropped),
            **config_to_json(self.config),
            "final_equity": result.final_equity,
            "cash": result.cash,
            "fees_paid": result.fees_paid,
            "fills": result.fills,
            "metrics": {
                name: json_number(value) for name, value in result.metrics.as_dict().items()
            },
            "per_symbol": {
                symbol: symbol_summary(result, symbol, frame) for symbol, frame in frames.items()
            },
        }


def _symbols_table(result: PortfolioResult, frames: Mapping[str, CandleFrame]) -> Table:
    table = Table(title="per symbol (one cash balance)")
    for column in ("symbol", "trades", "wins", "realised PnL", "fees", "position", "value"):
        table.add_column(column, justify="left" if column == "symbol" else "right")
    for symbol, frame in frames.items():
        summary = symbol_summary(result, symbol, frame)
        table.add_row(
            escape(symbol),
            str(summary["closed_trades"]),
            str(summary["wins"]),
            f"{summary['realised_pnl']:,.2f}",
            f"{summary['fees']:,.2f}",
            f"{summary['position']:.6g}",
            f"{summary['position_value']:,.2f}",
        )
    return table
