"""The API's filter backend: a filter naming a related row looks only at the rows the user may see.

``?program=7`` on a list answers 404 ``not_found`` when programme 7 lies outside the user's scope, the
same answer as for a programme that does not exist (an empty list, or a "not a valid choice" for the
one and not the other, would tell that it exists).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from django_filters.filterset import BaseFilterSet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from core.api.scopes import scoped_queryset

RELATED_FILTERS = (ModelChoiceFilter, ModelMultipleChoiceFilter)
NOT_FOUND_CODES = {"invalid_choice", "invalid_pk_value", "invalid_list"}


class ScopedFilterBackend(DjangoFilterBackend):  # type: ignore[misc]  # django-filter ships no types
    """DjangoFilterBackend whose related filters are scoped to the user (``core.api.scopes``).

    A filter declared with a callable queryset (``queryset=lambda request: …``) is scoped by its author
    and kept as it is; every other related filter gets the scope registered for its model.
    """

    def get_filterset(self, request: Request, queryset: QuerySet[Any], view: Any) -> BaseFilterSet | None:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for related in filterset.filters.values():
            if isinstance(related, RELATED_FILTERS) and not callable(related.queryset):
                related.queryset = scoped_queryset(related.queryset.model, request.user)
        return filterset

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            errors = filterset.form.errors.as_data()
            for name, related in filterset.filters.items():
                codes = {error.code for error in errors.get(name, [])}
                if isinstance(related, RELATED_FILTERS) and codes & NOT_FOUND_CODES:
                    raise NotFound()
            raise translate_validation(filterset.errors)
        filtered: QuerySet[Any] = filterset.qs
        return filtered
