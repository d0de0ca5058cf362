"""The registrars' admin: cars and their photos, ownership claims, the model facts, the accounts.

One module per page family; importing them registers their ModelAdmins. State changes go through
``register.services`` (and ``register.photos``); the admin only calls them. Registrars are staff in the
"Registrars" group, not superusers.
"""

from register.admin import cars, claims, facts, photos, users

__all__ = ["cars", "claims", "facts", "photos", "users"]
