"""What the register tells the apps built on it. Sent inside the transaction of the change, so a receiver's work
commits or rolls back with it, and a receiver's error undoes the change.

The register is the base: it never imports events. Events listens (``events/receivers.py``) and does its part:

- ``car_owner_changed(car, by)``: sent by ``claim_approve`` once the car has moved to its new owner, with the car
  locked. Each receiver returns the entries it cancelled (the approval email lists them).
- ``account_closing(user)``: sent by ``user_delete`` with the person's cars locked, before anything of theirs is
  erased. Receivers end what the person still has running (their entries of sessions not yet over).
"""

from django.dispatch import Signal

car_owner_changed = Signal()
account_closing = Signal()
