from __future__ import annotations

from typing import Generic, TypeVar

from ninja import Schema

T = TypeVar("T")


class ErrorBody(Schema):
    code: str
    message: str
    details: dict


class Error(Schema):
    error: ErrorBody


class PageOut(Schema, Generic[T]):
    items: list[T]
    next: str | None = None


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
