import sys
from pathlib import Path

import pytest

# The helpers beside these tests are plain modules, not a package (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).parent))

REPLAY_FILE = Path("nostalgiaforinfinity") / "binance" / "BTC_USDT-5m.json"


@pytest.fixture
def replay_file(shared_data_dir: Path) -> Path:
    return shared_data_dir / REPLAY_FILE
