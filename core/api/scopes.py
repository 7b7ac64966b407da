"""Which rows of a model a user may name in the API: one registered scope per model.

The apps that own the scoping rules register them when Django starts (``AppConfig.ready``): partners
for anchors, programmes, farmers and org nodes (those in reach), origination for limits, loans and
batches. The API's filters (``core.api.filters``) and related fields
(``core.api.fields.ScopedPrimaryKeyRelatedField``) look them up, so that an id outside the user's scope
answers 404 ``not_found`` exactly like an id that does not exist, and a related filter or field on a
model nobody registered fails loudly instead of reaching every row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

Scope = Callable[[Any], QuerySet[Any]]

_SCOPES: dict[type[Model], Scope] = {}


def scope_register(model: type[Model], scope: Scope) -> None:
    _SCOPES[model] = scope


def scoped_queryset(model: type[Model], user: Any) -> QuerySet[Any]:
    """The rows of ``model`` the user may name."""
    try:
        scope = _SCOPES[model]
    except KeyError:
        raise ImproperlyConfigured(
            f"No scope is registered for {model._meta.label}: register one with core.api.scopes.scope_register."
        ) from None
    return scope(user)
