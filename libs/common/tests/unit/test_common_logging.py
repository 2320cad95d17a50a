import json
import logging

from crypto_trader.common import logging as ct_logging


def test_secrets_are_redacted_from_log_lines(capsys):
    ct_logging.configure("test", level="INFO", json_lines=True)
    logging.getLogger("x").info(
        "GET https://api.example/order?signature=abc123&x=1 authorization: Bearer tok.en.value "
        "postgresql://user:hunter2@db/ct api_key=SECRETKEY"
    )
    line = capsys.readouterr().err.strip()
    record = json.loads(line)
    assert record["service"] == "test"
    for secret in ("abc123", "tok.en.value", "hunter2", "SECRETKEY"):
        assert secret not in line
