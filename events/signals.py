"""What events tells the apps built on it (payments). Sent inside the transaction of the change, so a receiver's
work commits or rolls back with it, and a receiver's error undoes the change.

Events never imports payments: payments listens (``payments/receivers.py``) and does its part:

- ``entry_cancelled(entry, by, by_organiser)``: sent by the cancel service once the entry is saved as cancelled,
  with its session locked. ``by_organiser`` says an organiser cancelled it (a paid fee is then always refunded;
  see ``Entry.refunded_if_cancelled``).
"""

from django.dispatch import Signal

entry_cancelled = Signal()
