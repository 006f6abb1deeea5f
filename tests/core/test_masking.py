"""Passwords never reach a message, whether the URL is well formed or mistyped."""

from __future__ import annotations

import pytest

from core.masking import mask_text, mask_url, url_password


@pytest.mark.parametrize(
    "url, masked",
    [
        ("redis://:s3cret@queue:6379/0", "redis://:***@queue:6379/0"),
        ("redis://user:s3cret@queue:6379/0", "redis://user:***@queue:6379/0"),
        ("redis:/:s3cret@queue", "redis:/:***@queue"),
        ("redis//:s3cret@queue", "redis//:***@queue"),
        ("s3cret@queue", "***@queue"),
        ("redis://:s3@cret@queue", "redis://:***@queue"),
        ("redis://:s3/cret@queue", "redis://:***@queue"),
        ("postgresql://u@h/db?password=s3cret", "postgresql://u@h/db?password=***"),
        ("postgresql://postgres@127.0.0.1:5432/x", "postgresql://postgres@127.0.0.1:5432/x"),
        ("redis://queue:6379/0", "redis://queue:6379/0"),
    ],
)
def test_userinfo_is_masked_in_any_url_like_value(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_text_that_quotes_a_secret_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNISTQ_DATABASE_URL", "postgresql://u:hunter22@h/db")
    text = 'connection to redis://:abc123@h failed; FATAL: password "hunter22" rejected'
    masked = mask_text(text)
    assert "abc123" not in masked and "hunter22" not in masked
    assert url_password("redis:/:abc123@h") == "abc123"
