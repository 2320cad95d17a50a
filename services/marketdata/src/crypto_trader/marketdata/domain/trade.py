"""Public trades: the one value type (exchange, store, files, replay), its order and event id."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Side

TradeOrder = tuple[int, int, str]

# The store keys trades by id in a column this wide.
MAX_TRADE_ID_LENGTH = 64


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One public trade printed by an exchange; ``side`` is the taker's side.

    The exchange adapters return it, the trade store and trade files keep it and the replay
    publishes it: a trade without an id or a side is not a trade the platform can use.
    """

    exchange: str
    symbol: str
    trade_id: str
    ts_event: int
    side: Side
    price: Decimal
    amount: Decimal

    def __post_init__(self) -> None:
        if not self.trade_id:
            raise InvalidInput("trade without an id")
        if len(self.trade_id) > MAX_TRADE_ID_LENGTH:
            raise InvalidInput(f"trade id longer than {MAX_TRADE_ID_LENGTH}: {self.trade_id!r}")
        if self.ts_event < 0:
            raise InvalidInput(f"trade {self.trade_id}: negative time {self.ts_event}")
        if not isinstance(self.side, Side):
            raise InvalidInput(f"trade {self.trade_id}: side must be buy or sell")
        for name, value in (("price", self.price), ("amount", self.amount)):
            if not value.is_finite() or value <= 0:
                raise InvalidInput(f"trade {self.trade_id}: {name} must be positive, got {value}")

    @property
    def buyer_is_maker(self) -> bool:
        """Tell whether the resting order was the buyer's (the taker sold)."""
        return self.side is Side.SELL

    @property
    def order(self) -> TradeOrder:
        """Return the trade's position in replay order (see ``trade_order``)."""
        return trade_order(self.ts_event, self.trade_id)


def trade_order(ts_event: int, trade_id: str) -> TradeOrder:
    """Return the replay order of a trade: by time, then by id, numeric ids compared as numbers.

    Exchanges number trades upwards; comparing ids by length first keeps "999" before "1000"
    without assuming every id is numeric.
    """
    return (ts_event, len(trade_id), trade_id)


def trade_event_id(trade: TradeTick) -> str:
    """Return the event id of a trade: the same on every replay."""
    return stable_id("trade", trade.exchange, trade.symbol, trade.trade_id)


def parse_side(value: object) -> Side:
    """Read a taker side (``buy``/``sell``, any case), or raise InvalidInput."""
    if isinstance(value, str):
        try:
            return Side(value.strip().lower())
        except ValueError:
            pass
    raise InvalidInput(f"trade side must be buy or sell, got {value!r}")
