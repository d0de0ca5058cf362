"""The treasurer's admin: statements and their credits (``statements``), refunds and the books (``refunds``)."""

from payments.admin import refunds, statements  # noqa: F401 (registers the admins)
