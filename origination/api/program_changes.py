"""Programme changes in the API: proposed under ``/programs/{id}/changes/``, decided under ``/program-changes/``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from origination.program_history import changes_shown
from origination.services.program_changes import program_change_approve, program_change_reject
from partners.auth import acting_user
from partners.models import ProgramChange
from partners.scoping import visible_programs
from partners.services.programs import program_parameters_shown


class ProgramChangeSerializer(serializers.ModelSerializer[ProgramChange]):
    """A change as stored: ``values`` and ``previous`` in the programme's own forms ("1000.00", "0.30", 12)."""

    class Meta:
        model = ProgramChange
        fields = [
            "id",
            "program",
            "status",
            "values",
            "previous",
            "effective_from",
            "reason",
            "proposed_by",
            "proposed_on",
            "decided_by",
            "decided_on",
            "decision_note",
            "applied_on",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: ProgramChange) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None:
            shown = set(program_parameters_shown(acting_user(request)))
            data["values"] = {name: value for name, value in data["values"].items() if name in shown}
            data["previous"] = {name: value for name, value in data["previous"].items() if name in shown}
        return data


class ProgramChangeProposal(serializers.Serializer[Any]):
    """``values``: the parameters to change, each as the programme writes it; the rest keep their values."""

    values = serializers.DictField(child=serializers.JSONField())
    effective_from = serializers.DateField()
    reason = serializers.CharField(max_length=2000)


class ProgramChangeDecision(serializers.Serializer[Any]):
    """The approver's note (optional), or why the change is rejected (required unless its proposer withdraws it)."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _note(request: Request) -> str:
    decision = ProgramChangeDecision(data=request.data)
    decision.is_valid(raise_exception=True)
    return str(decision.validated_data.get("note", ""))


class ProgramChangeViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProgramChange]):
    """One change of a programme the user sees; approved or rejected (withdrawn by its proposer) here."""

    serializer_class = ProgramChangeSerializer

    def get_queryset(self) -> QuerySet[ProgramChange]:
        user = acting_user(self.request)
        changes = ProgramChange.objects.filter(program__in=visible_programs(user)).order_by("-id")
        return changes_shown(changes, user)

    @extend_schema(request=ProgramChangeDecision, responses=ProgramChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        change = program_change_approve(change=self.get_object(), actor=acting_user(request), note=_note(request))
        return Response(self.get_serializer(change).data)

    @extend_schema(request=ProgramChangeDecision, responses=ProgramChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        change = program_change_reject(change=self.get_object(), actor=acting_user(request), note=_note(request))
        return Response(self.get_serializer(change).data)
