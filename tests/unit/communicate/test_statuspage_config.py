"""`communicate.status_page` in tripwire.yaml: the subscriber mail channel must exist."""

from __future__ import annotations

import pytest

from tripwire.config.file import ConfigError, parse_config


def test_the_subscriber_channel_must_be_an_email_channel() -> None:
    page = {"status_page": {"subscribers": {"email_channel": "mail"}}}
    with pytest.raises(ConfigError, match="not a respond channel of type email"):
        parse_config({"communicate": page})
    hook = {"type": "webhook", "url": "https://example.org/h", "secret": "whsec_" + "A" * 40}
    with pytest.raises(ConfigError, match="email_channel"):
        parse_config({"communicate": page, "respond": {"channels": {"mail": hook}}})
    mail = {"type": "email", "host": "smtp.example.org", "from": "s@example.org"}
    config = parse_config({"communicate": page, "respond": {"channels": {"mail": mail}}})
    assert config.communicate.status_page.subscribers.email_channel == "mail"
    assert config.communicate.status_page.auto_publish is None
