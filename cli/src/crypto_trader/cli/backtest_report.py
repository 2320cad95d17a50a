"""The HTML report of `ct backtest`: price panels with entries and exits, equity and drawdown."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from crypto_trader.strategy.domain.backtesting import BacktestResult, Metrics, Trade
from crypto_trader.strategy.domain.backtesting.account import OpenPosition
from crypto_trader.strategy.domain.backtesting.metrics import drawdown_curve
from crypto_trader.strategy.domain.backtesting.portfolio import PortfolioResult
from crypto_trader.strategy.domain.indicators import CandleFrame


def write_report(result: BacktestResult, frame: CandleFrame, path: Path) -> None:
    """Write a self-contained HTML report: price with entries and exits, equity, drawdown."""
    opened = () if result.open_position is None else (result.open_position,)
    figure = _figure({"": frame}, {"": result.trades}, {"": opened}, result.equity, result.drawdown)
    write_html_page(
        path,
        f"Backtest {result.strategy} {result.params}",
        f"final equity {result.final_equity:,.2f} from {result.config.initial_cash:,.2f}",
        result.metrics,
        figure,
    )


def write_portfolio_report(
    result: PortfolioResult,
    frames: Mapping[str, CandleFrame],
    path: Path,
    *,
    title: str,
    initial_cash: float,
) -> None:
    """Write the report of a multi-symbol backtest: one price panel per symbol, then the
    portfolio's equity and drawdown."""
    trades = {symbol: [t for t in result.trades if t.symbol == symbol] for symbol in frames}
    figure = _figure(frames, trades, {}, result.equity, drawdown_curve(result.equity))
    write_html_page(
        path,
        title,
        f"final equity {result.final_equity:,.2f} from {initial_cash:,.2f}",
        result.metrics,
        figure,
    )


def _figure(
    frames: Mapping[str, CandleFrame],
    trades: Mapping[str, Sequence[Trade]],
    opened: Mapping[str, Sequence[OpenPosition]],
    equity: np.ndarray[Any, Any],
    drawdown: np.ndarray[Any, Any],
) -> Any:
    from plotly import graph_objects as go
    from plotly.subplots import make_subplots

    panels = len(frames)
    price_height = 0.55 / panels
    titles = [
        f"{symbol} close, entries and exits" if symbol else "Close, entries and exits"
        for symbol in frames
    ]
    figure = make_subplots(
        rows=panels + 2,
        cols=1,
        shared_xaxes=True,
        row_heights=[price_height] * panels + [0.25, 0.2],
        vertical_spacing=0.03 / panels,
        subplot_titles=(*titles, "Equity", "Drawdown"),
    )
    times = next(iter(frames.values())).open_time_ms.astype("datetime64[ms]")
    for row, (symbol, frame) in enumerate(frames.items(), start=1):
        label = f"{symbol} " if symbol else ""
        figure.add_trace(
            go.Scattergl(x=times, y=frame.close, name=f"{label}close", line={"width": 1}), row, 1
        )
        for trace in _markers(times, trades.get(symbol, ()), opened.get(symbol, ()), label):
            figure.add_trace(trace, row, 1)
    figure.add_trace(go.Scattergl(x=times, y=equity, name="equity"), panels + 1, 1)
    figure.add_trace(
        go.Scattergl(x=times, y=100 * drawdown, name="drawdown %", fill="tozeroy"), panels + 2, 1
    )
    figure.update_layout(height=600 + 300 * panels, hovermode="x unified", margin={"t": 40})
    return figure


def _markers(
    times: np.ndarray[Any, Any],
    trades: Sequence[Trade],
    opened: Sequence[OpenPosition],
    label: str,
) -> list[Any]:
    from plotly import graph_objects as go

    traces = []
    for side, colour, shape in (
        ("long", "green", "triangle-up"),
        ("short", "red", "triangle-down"),
    ):
        entries: list[Trade | OpenPosition] = [t for t in trades if t.side == side]
        entries += [p for p in opened if p.side == side]
        if entries:
            traces.append(
                go.Scattergl(
                    x=times[[t.entry_bar for t in entries]],
                    y=[t.entry_price for t in entries],
                    mode="markers",
                    name=f"{label}enter {side}",
                    marker={"color": colour, "symbol": shape, "size": 9},
                )
            )
    if trades:
        traces.append(
            go.Scattergl(
                x=times[[t.exit_bar for t in trades]],
                y=[t.exit_price for t in trades],
                mode="markers",
                name=f"{label}exit",
                text=[f"pnl {t.pnl:,.2f}" for t in trades],
                marker={"color": "black", "symbol": "x", "size": 8},
            )
        )
    return traces


def write_html_page(path: Path, title: str, summary: str, metrics: Metrics, figure: Any) -> None:
    """Write a report page: a title, a summary line, the metrics and a plotly figure."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{'-' if value is None else f'{value:.6g}'}</td></tr>"
        for name, value in metrics.as_dict().items()
    )
    title = html.escape(title)
    # include_plotlyjs=True inlines plotly.js, so the report opens offline (no CDN).
    chart = figure.to_html(full_html=False, include_plotlyjs=True)
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif'><h2>{title}</h2><p>{html.escape(summary)}</p>"
        f"<table>{rows}</table>{chart}</body></html>",
        encoding="utf-8",
    )
