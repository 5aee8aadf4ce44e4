"""The push receiver, app client and settings of test_delivery, for the other alert tests too."""

from tests.server.alerts.test_delivery import app_client, messages, push_settings, receiver

__all__ = ["app_client", "messages", "push_settings", "receiver"]
