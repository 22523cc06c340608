"""Forms of the web app's own pages (log-in)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm


class LogInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Your user name and password didn't match. Please try again; both are case-sensitive."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "User name"
        self.fields["password"].label = "Password"
