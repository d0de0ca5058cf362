"""``{% load payments %}``: the payment box and money as the reader's language writes it."""

from __future__ import annotations

from django import template

from events import giro

register = template.Library()


@register.filter
def money(amount):
    """``{{ session.fee|money }}``: "€25.00" in English, "25,00 €" in German."""
    return giro.money(amount)


@register.inclusion_tag("events/includes/payment.html")
def payment_box(payment):
    """``{% payment_box payment %}``: ``payment`` has ``amount``, ``reference`` and ``due`` (a
    ``giro.PaymentDetails``, or anything else with them); the box adds the club's account and the GiroCode."""
    if not isinstance(payment, giro.PaymentDetails):
        payment = giro.PaymentDetails.of(amount=payment.amount, reference=payment.reference, due=payment.due)
    return {"payment": payment, "girocode": payment.girocode_svg()}
