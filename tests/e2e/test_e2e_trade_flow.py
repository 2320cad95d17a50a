"""The whole platform, started by ``ct up``, trades replayed real candles end to end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
import websockets
from expected_trades import FlowRules, expected_cash, expected_fills, load_freqtrade_json
from platform_runner import Platform

pytestmark = pytest.mark.e2e

CANDLES = 300


def _replay_env(replay_file: Path, *, speed: float, limit: int = CANDLES) -> dict[str, str]:
    return {
        "CT_MARKETDATA_SOURCE": "file",
        "CT_MARKETDATA_REPLAY_FILE": str(replay_file),
        "CT_MARKETDATA_REPLAY_LIMIT": str(limit),
        "CT_MARKETDATA_REPLAY_SPEED": str(speed),
    }


async def _collect_frames(url: str, seconds: float) -> list[dict]:
    frames: list[dict] = []
    async with websockets.connect(url) as socket:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=deadline - time.monotonic())
            except TimeoutError:
                break
            frames.append(json.loads(raw))
    return frames


def _replay_finished(platform: Platform) -> bool:
    status = platform.get("/api/v1/marketdata/status")
    return bool(status["finished"]) and int(status["published"]) == CANDLES


def _settled(platform: Platform, expected_count: int) -> bool:
    fills = platform.get("/api/v1/fills", limit=1000)["fills"]
    equity = platform.get("/api/v1/equity")
    return len(fills) >= expected_count and int(equity["fills_booked"]) >= expected_count


def _check_books(platform: Platform, replay_file: Path) -> None:
    rules = FlowRules()
    rows = load_freqtrade_json(replay_file, CANDLES)
    expected = expected_fills(rows, rules)
    assert len(expected) >= 4, "the replay window should hold several round trips"

    platform.wait_until("the replay to finish", lambda: _replay_finished(platform), 120)
    platform.wait_until("every fill to be booked", lambda: _settled(platform, len(expected)), 60)
    time.sleep(1.5)  # anything extra (a duplicate) would show up now

    fills = sorted(platform.get("/api/v1/fills", limit=1000)["fills"], key=lambda f: f["ts_event"])
    trade_ids = [fill["trade_id"] for fill in fills]
    assert len(trade_ids) == len(set(trade_ids)), "a fill was duplicated"
    assert [(f["side"], Decimal(f["quantity"]), Decimal(f["price"])) for f in fills] == [
        (e.side, e.quantity, e.price) for e in expected
    ]
    assert [Decimal(f["fee"]) for f in fills] == [e.fee for e in expected]

    equity = platform.get("/api/v1/equity")
    assert int(equity["fills_booked"]) == len(expected), "each fill is booked exactly once"
    last_close = rows[-1][4]
    position = sum(
        (e.quantity if e.side == "buy" else -e.quantity for e in expected), start=Decimal(0)
    )
    cash = expected_cash(expected, rules)
    assert Decimal(equity["cash"]) == cash
    assert Decimal(equity["equity"]) == cash + position * last_close

    positions = platform.get("/api/v1/positions")["positions"]
    held = {p["symbol"]: Decimal(p["quantity"]) for p in positions}
    assert held.get("BTC/USDT", Decimal(0)) == position

    orders = platform.get("/api/v1/orders", limit=1000)["orders"]
    filled = [o for o in orders if o["status"] == "filled"]
    assert len(filled) == len(expected)

    metrics = platform.metrics("execution")
    assert (
        'ct_bus_deliveries_total{consumer="execution-orders",outcome="acked",service="execution"}'
        in metrics
    )


def _run_flow(platform: Platform, replay_file: Path) -> None:
    platform.start()
    try:
        platform.wait_healthy()
        ws_url = platform.url.replace("http", "ws") + "/api/v1/ws"
        frames = asyncio.run(_collect_frames(ws_url, seconds=12))
        kinds = {frame["type"] for frame in frames}
        assert {"candle", "order", "fill", "equity"} <= kinds, f"frames seen: {sorted(kinds)}"
        candle = next(frame["data"] for frame in frames if frame["type"] == "candle")
        assert candle["symbol"] == "BTC/USDT" and not candle["synthetic"]

        _check_books(platform, replay_file)
    finally:
        code = platform.stop()
    assert code == 0, platform.log_text()[-4000:]


def test_platform_on_local_postgres_redis_and_nats(
    tmp_path, replay_file, postgres_url, nats_url, redis_url, run_root
):
    platform = Platform(
        data_dir=tmp_path / "var",
        env={
            **_replay_env(replay_file, speed=3000),
            "CT_DATABASE_URL": postgres_url,
            "CT_NATS_URL": nats_url,
            "CT_REDIS_URL": redis_url,
            "CT_REDIS_PREFIX": f"{run_root}:",
            "CT_SUBJECT_ROOT": run_root,
        },
    )
    _run_flow(platform, replay_file)


def test_platform_embedded(tmp_path, replay_file):
    platform = Platform(data_dir=tmp_path / "var", env=_replay_env(replay_file, speed=3000))
    _run_flow(platform, replay_file)


def test_killed_service_is_restarted_and_no_fill_is_lost_or_duplicated(tmp_path, replay_file):
    platform = Platform(data_dir=tmp_path / "var", env=_replay_env(replay_file, speed=3000))
    platform.start()
    try:
        platform.wait_healthy()
        platform.wait_until(
            "the first fill", lambda: len(platform.get("/api/v1/fills")["fills"]) >= 1, 60
        )
        for victim in ("execution", "portfolio"):
            pid = platform.state()["services"][victim]["pid"]
            os.kill(pid, signal.SIGKILL)
            platform.wait_until(
                f"{victim} to be restarted",
                lambda v=victim, old=pid: (
                    platform.state()["services"][v]["pid"] != old
                    and platform.state()["services"][v]["restarts"] >= 1
                ),
                30,
            )
            time.sleep(1.0)
        status = platform.get("/api/v1/marketdata/status")
        assert not status["finished"], "the kill should land in the middle of the replay"
        platform.wait_healthy()
        _check_books(platform, replay_file)
        assert "restart" in platform.log_text()
    finally:
        code = platform.stop()
    assert code == 0
