"""An entry's exit hints reach the wire as prices; exits carry none."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common.model import Candle
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints
from crypto_trader.strategy.adapters.nats_publisher import signal_to_proto
from crypto_trader.strategy.domain.framework import Signal as StrategySignal
from crypto_trader.strategy.domain.instance import Signal
from crypto_trader.strategy.domain.sma_cross import SignalAction
from crypto_trader.strategy.handlers import exit_hints

CLOSE = Candle(
    exchange="binance",
    symbol="BTC/USDT",
    timeframe="5m",
    open_time_ms=0,
    open=Decimal(20100),
    high=Decimal(20200),
    low=Decimal(19900),
    close=Decimal(20000),
    volume=Decimal(1),
)


class TestExitHints:
    def test_an_entry_keeps_its_prices_and_its_trail_is_priced_from_the_close(self) -> None:
        decided = StrategySignal(enter_long=True, stop_loss=19000.5, trailing_stop=0.02)

        hints = exit_hints(decided, SignalAction.ENTER_LONG, CLOSE)

        assert hints == ExitHints(stop_loss=Decimal("19000.5"), trailing_stop=Decimal("19600.00"))

    def test_an_exit_carries_no_hints(self) -> None:
        decided = StrategySignal(exit_long=True, stop_loss=19000.0)

        assert exit_hints(decided, SignalAction.EXIT_LONG, CLOSE) is NO_HINTS

    def test_the_wire_carries_prices_and_empty_strings_for_unset_hints(self) -> None:
        signal = Signal(
            signal_id="s",
            instance_id="i",
            strategy="sma_cross",
            account="paper",
            exchange="binance",
            symbol="BTC/USDT",
            timeframe="5m",
            action=SignalAction.ENTER_LONG,
            reference_price=Decimal(20000),
            candle_open_time_ms=0,
            ts_event=1,
            ts_init=1,
        )

        message = signal_to_proto(signal, ExitHints(take_profit=Decimal("21000.25")))

        assert (message.stop_loss, message.take_profit, message.trailing_stop) == (
            "",
            "21000.25",
            "",
        )
