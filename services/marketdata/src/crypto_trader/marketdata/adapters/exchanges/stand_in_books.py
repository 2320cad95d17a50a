"""Order books of the stand-in market and their depth messages (Binance, Bybit, OKX shapes)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Level = tuple[str, str]


def _default_bids() -> dict[str, str]:
    return {"30010.40000000": "1.50000000", "30010.30000000": "2.00000000"}


def _default_asks() -> dict[str, str]:
    return {"30010.60000000": "0.75000000", "30010.70000000": "3.00000000"}


@dataclass(slots=True)
class StandInBook:
    """The stand-in market's order book: amounts by price (decimal strings) and its update id.

    The REST depth snapshot and the websocket depth messages are both drawn from it, so a client
    that merges the snapshot with the updates as the exchange documents it ends up with this book.
    """

    bids: dict[str, str] = field(default_factory=_default_bids)
    asks: dict[str, str] = field(default_factory=_default_asks)
    update_id: int = 1027024

    def levels(self, side: str) -> list[Level]:
        """Return one side's levels, best first."""
        book = self.bids if side == "bids" else self.asks
        return sorted(book.items(), key=lambda level: Decimal(level[0]), reverse=side == "bids")

    def apply(
        self, bids: Sequence[Level], asks: Sequence[Level], *, skip_ids: int = 0
    ) -> BookUpdate:
        """Change levels (amount 0 removes one); return the update as the exchange numbers it.

        Each changed level takes one update id; ``skip_ids`` leaves ids out before it, as a
        client sees when it missed a message.
        """
        for book, changes in ((self.bids, bids), (self.asks, asks)):
            for price, amount in changes:
                if Decimal(amount) == 0:
                    book.pop(price, None)
                else:
                    book[price] = amount
        first = self.update_id + 1 + skip_ids
        self.update_id = first + max(len(bids) + len(asks), 1) - 1
        return BookUpdate(tuple(bids), tuple(asks), first, self.update_id)


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """Levels that changed (amount "0": removed) and the first and last update ids they took."""

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    first_id: int
    last_id: int


# ----------------------------------------------------------------------------- binance (spot /ws)


def binance_depth_update(update: BookUpdate, _book: StandInBook, now_ms: int) -> Any:
    """Build a diff depth event (Binance has no websocket snapshot: ccxt fetches REST's)."""
    # The diff depth stream: U/u are the first/last update ids, to chain onto the REST snapshot's
    # lastUpdateId (the exchange's "how to manage a local order book" recipe).
    return {
        "e": "depthUpdate",
        "E": now_ms,
        "s": "BTCUSDT",
        "U": update.first_id,
        "u": update.last_id,
        "b": [list(level) for level in update.bids],
        "a": [list(level) for level in update.asks],
    }


# ----------------------------------------------------------------------------- bybit (v5 spot)


BYBIT_BOOK_TOPIC = "orderbook.50.BTCUSDT"


def _bybit_book(
    kind: str, bids: Sequence[Level], asks: Sequence[Level], update_id: int, now_ms: int
) -> Any:
    return {
        "topic": BYBIT_BOOK_TOPIC,
        "type": kind,
        "ts": now_ms,
        "data": {
            "s": "BTCUSDT",
            "b": [list(level) for level in bids],
            "a": [list(level) for level in asks],
            "u": update_id,
            "seq": 7_961_638_724 + update_id,
        },
        "cts": now_ms - 2,
    }


def bybit_book_snapshot(book: StandInBook, now_ms: int) -> Any:
    """Build the snapshot Bybit pushes after a book subscription."""
    return _bybit_book("snapshot", book.levels("bids"), book.levels("asks"), book.update_id, now_ms)


def bybit_book_delta(update: BookUpdate, _book: StandInBook, now_ms: int) -> Any:
    """Build a Bybit delta (size "0" removes a level)."""
    return _bybit_book("delta", update.bids, update.asks, update.last_id, now_ms)


# ----------------------------------------------------------------------------- okx (v5 public)


def _okx_checksum(bids: Sequence[Level], asks: Sequence[Level]) -> int:
    # OKX's book checksum: CRC32 (signed) of the top 25 levels, bid and ask interleaved.
    parts: list[str] = []
    for index in range(25):
        for levels in (bids, asks):
            if index < len(levels):
                parts.extend(levels[index])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _okx_book(action: str, data: dict[str, Any]) -> Any:
    return {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": action, "data": [data]}


def _okx_levels(levels: Sequence[Level]) -> list[list[str]]:
    # [price, size, deprecated liquidated orders, number of orders]
    return [[price, amount, "0", "1"] for price, amount in levels]


def okx_book_snapshot(book: StandInBook, now_ms: int) -> Any:
    """Build the snapshot OKX pushes after a ``books`` subscription."""
    bids, asks = book.levels("bids"), book.levels("asks")
    return _okx_book(
        "snapshot",
        {
            "asks": _okx_levels(asks),
            "bids": _okx_levels(bids),
            "ts": str(now_ms),
            "checksum": _okx_checksum(bids, asks),
            "prevSeqId": -1,
            "seqId": book.update_id,
        },
    )


def okx_book_update(update: BookUpdate, book: StandInBook, now_ms: int) -> Any:
    """Build an OKX update chained by ``prevSeqId``, with the book's checksum after it."""
    return _okx_book(
        "update",
        {
            "asks": _okx_levels(update.asks),
            "bids": _okx_levels(update.bids),
            "ts": str(now_ms),
            "checksum": _okx_checksum(book.levels("bids"), book.levels("asks")),
            "prevSeqId": update.first_id - 1,
            "seqId": update.last_id,
        },
    )
