"""An entry's exit hints reach the wire as prices (a short's mirrored); exits carry none."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common.protective_exit import NO_HINTS, ExitHints
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.strategy.adapters.nats_publisher import signal_to_proto
from crypto_trader.strategy.domain.framework import Signal as StrategySignal
from crypto_trader.strategy.domain.framework import SignalAction
from crypto_trader.strategy.domain.instance import Signal, entry_hints

CLOSE = Decimal(20000)


class TestExitHints:
    def test_an_entry_keeps_its_prices_and_its_trail_is_priced_from_the_close(self) -> None:
        decided = StrategySignal(enter_long=True, stop_loss=19000.5, trailing_stop=0.02)

        hints = entry_hints(decided, SignalAction.ENTER_LONG, CLOSE)

        assert hints == ExitHints(stop_loss=Decimal("19000.5"), trailing_stop=Decimal("19600.00"))

    def test_a_short_entry_has_its_trail_above_the_close(self) -> None:
        decided = StrategySignal(enter_short=True, take_profit=18000.0, trailing_stop=0.02)

        hints = entry_hints(decided, SignalAction.ENTER_SHORT, CLOSE)

        assert hints == ExitHints(take_profit=Decimal(18000), trailing_stop=Decimal("20400.00"))

    def test_an_exit_carries_no_hints(self) -> None:
        decided = StrategySignal(exit_long=True, stop_loss=19000.0)

        assert entry_hints(decided, SignalAction.EXIT_LONG, CLOSE) is NO_HINTS

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
            hints=ExitHints(take_profit=Decimal("21000.25")),
        )

        message = signal_to_proto(signal)

        assert (message.stop_loss, message.take_profit, message.trailing_stop) == (
            "",
            "21000.25",
            "",
        )

    def test_every_action_has_its_wire_value(self) -> None:
        wire = {action: signal_to_proto(_signal(action)).action for action in SignalAction}

        assert wire == {
            SignalAction.ENTER_LONG: signals_pb2.SIGNAL_ACTION_ENTER_LONG,
            SignalAction.EXIT_LONG: signals_pb2.SIGNAL_ACTION_EXIT_LONG,
            SignalAction.ENTER_SHORT: signals_pb2.SIGNAL_ACTION_ENTER_SHORT,
            SignalAction.EXIT_SHORT: signals_pb2.SIGNAL_ACTION_EXIT_SHORT,
        }
        # the names match the wire enum's, without its prefix
        assert {a.value.upper() for a in SignalAction} == {
            n.removeprefix("SIGNAL_ACTION_") for n in signals_pb2.SignalAction.keys()
        } - {"UNSPECIFIED"}


def _signal(action: SignalAction) -> Signal:
    return Signal("s", "i", "x", "paper", "binance", "BTC/USDT", "5m", action, Decimal(1), 0, 1, 1)
