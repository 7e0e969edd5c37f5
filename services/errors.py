"""Errors a service raises for a person to read. Messages are lazy translations."""
from __future__ import annotations


class ServiceError(Exception):
    """A refused action; `message` is shown to the person, `status` is the HTTP status."""

    status = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(message)  # kept lazy: rendered in the reader's language
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    status = 403


class PhaseClosed(NotAllowed):
    """The action exists but its window in the plan's calendar is not open."""


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409
