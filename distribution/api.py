"""The lists in the API: /api/v1/lists/ (with the funnel and the 95588 results) and /api/v1/list-entries/.

Identity numbers and phones are masked in every answer; the full phone is ``POST list-entries/{id}/phone/``,
for the entry's assignee only and audited. Every write is one service call.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import mask_phone
from core.uploads import upload_open
from distribution.models import ContactOutcome, ListEntry, OutreachList
from distribution.selectors import (
    FUNNEL_BY,
    assignable_nodes,
    assignable_people,
    entries_filtered,
    funnel,
    parse_id,
    visible_entries,
    visible_lists,
)
from distribution.services import (
    call_results_import,
    contact_record,
    entries_assign,
    entry_phone_reveal,
    entry_reference,
    whitelist_sync,
)
from partners.auth import acting_user

MAX_UPLOAD_BYTES = 50 * 1_048_576
ID_MAX = 2**63 - 1


class OutreachListSerializer(serializers.ModelSerializer[OutreachList]):
    owner_node = serializers.CharField(source="owner_node.code", read_only=True)
    owner_user = serializers.CharField(source="owner_user.username", read_only=True, default=None)

    class Meta:
        model = OutreachList
        fields = ["id", "name", "kind", "owner_node", "owner_user", "program", "source_list", "list_date", "sha256"]


class ListEntrySerializer(serializers.ModelSerializer[ListEntry]):
    reference_for_calls = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    node = serializers.CharField(source="node.code", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)
    stage = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True, allow_null=True)

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "reference_for_calls",
            "outreach_list",
            "farmer",
            "name",
            "id_masked",
            "phone_masked",
            "reference",
            "region_code",
            "breed",
            "anchor",
            "amount",
            "node",
            "assignee",
            "stage",
            "available",
            "last_result",
            "last_contact_on",
            "drew_on",
            "added_on",
        ]

    def get_reference_for_calls(self, entry: ListEntry) -> str:
        return entry_reference(entry.pk)

    def get_phone_masked(self, entry: ListEntry) -> str:
        return mask_phone(entry.phone)

    def get_stage(self, entry: ListEntry) -> str:
        return ["whitelisted", "contacted", "reached", "drew"][entry.stage]


class AssignSerializer(serializers.Serializer[Any]):
    entries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), allow_empty=False, max_length=100_000
    )
    to_node = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    to_user = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)


class OutcomeSerializer(serializers.Serializer[Any]):
    result = serializers.ChoiceField(choices=ContactOutcome.Result.choices)
    channel = serializers.ChoiceField(choices=ContactOutcome.Channel.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)


class FileSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


ENTRY_PARAMETERS = [
    OpenApiParameter(name, str, description=description)
    for name, description in (
        ("list", "a list's id"),
        ("node", "a node's id: the entries in its subtree"),
        ("assignee", "a user's id, or none"),
        ("stage", "0 whitelisted, 1 contacted, 2 reached, 3 drew"),
        ("region", "a prefix of the region code"),
        ("breed", "part of the breed"),
        ("anchor", "an anchor's id"),
        ("amount_min", "yuan, included"),
        ("amount_max", "yuan, included"),
        ("q", "part of the name or the reference"),
    )
]


class OutreachListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[OutreachList]):
    """The lists the user sees: those owned in his subtree and those with entries handed down to it."""

    serializer_class = OutreachListSerializer
    queryset = OutreachList.objects.none()  # for the schema only: get_queryset scopes every request

    def get_queryset(self) -> QuerySet[OutreachList]:
        return visible_lists(acting_user(self.request)).select_related("owner_node", "owner_user").order_by("-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, enum=list(FUNNEL_BY)),
            OpenApiParameter("list", int, many=True),
            OpenApiParameter("kind", str, many=True),
        ],
        responses=inline_serializer(
            "FunnelRow",
            {
                "key": serializers.CharField(allow_null=True),
                "label": serializers.CharField(),
                "whitelisted": serializers.IntegerField(),
                "contacted": serializers.IntegerField(),
                "reached": serializers.IntegerField(),
                "drew": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    @action(detail=False, methods=["get"])
    def funnel(self, request: Request) -> Response:
        """The funnel (whitelisted → contacted → reached → drew) grouped ``by`` total, node, person, list, anchor
        or kind, of the entries in the user's subtree."""
        by = request.query_params.get("by", "total")
        if by not in FUNNEL_BY:
            raise DomainError(
                ErrorCode.INVALID, _("Group the funnel by one of: %(by)s.") % {"by": ", ".join(FUNNEL_BY)}
            )
        list_ids = [i for v in request.query_params.getlist("list") if (i := parse_id(v)) is not None] or None
        kinds = [v for v in request.query_params.getlist("kind") if v in OutreachList.Kind.values] or None
        rows = funnel(viewer=acting_user(request), by=by, list_ids=list_ids, kinds=kinds)  # type: ignore[arg-type]
        return Response([row.as_dict() for row in rows])

    @extend_schema(
        request={"multipart/form-data": FileSerializer},
        responses=inline_serializer(
            "CallResultsImport",
            {
                "file": serializers.IntegerField(),
                "sha256": serializers.CharField(),
                "created": serializers.BooleanField(),
            },
        ),
    )
    @action(detail=False, methods=["post"], url_path="call-results", parser_classes=[MultiPartParser, FormParser])
    def call_results(self, request: Request) -> Response:
        """95588's results file (entry number, called at, result code, note) as contact outcomes: all or nothing
        (``file_rejected`` with the rows' errors); the same file again answers ``created: false``."""
        form = FileSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        content, name = upload_open(form.validated_data["file"], max_bytes=MAX_UPLOAD_BYTES)
        imported = call_results_import(content=content, filename=name, actor=acting_user(request))
        results_file = imported.results_file
        return Response({"file": results_file.pk, "sha256": results_file.sha256, "created": imported.created})

    @extend_schema(request=None, responses=inline_serializer("WhitelistSync", {"added": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="whitelist-sync")
    def whitelist_sync(self, request: Request) -> Response:
        """Bring the programmes' lists up to date with their limits (branch managers and administrators)."""
        from core.permissions import require_role
        from distribution.services import LIST_MANAGE_ROLES

        user = acting_user(request)
        require_role(user, *LIST_MANAGE_ROLES)
        return Response(whitelist_sync(actor=user).as_dict())


class ListEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ListEntry]):
    """The entries sitting in the user's subtree, filtered by ``ENTRY_PARAMETERS``."""

    serializer_class = ListEntrySerializer
    queryset = ListEntry.objects.none()  # for the schema only: get_queryset scopes every request

    def get_queryset(self) -> QuerySet[ListEntry]:
        user = acting_user(self.request)
        entries = visible_entries(user)
        if self.action in ("phone", "outcomes", "retrieve"):
            entries = entries | ListEntry.objects.filter(assignee=user)
        entries = entries_filtered(entries, self.request.query_params) if self.action == "list" else entries
        return entries.select_related("node", "assignee").distinct().order_by("id")

    @extend_schema(parameters=ENTRY_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AssignSerializer, responses=inline_serializer("AssignResult", {"moved": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"])
    def assign(self, request: Request) -> Response:
        """Hand entries to a node (``to_node``) or a person (``to_user``) of the user's subtree."""
        user = acting_user(request)
        payload = AssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        to_user = to_node = None
        if values.get("to_user"):
            to_user = assignable_people(user).filter(pk=values["to_user"]).first()
            if to_user is None:
                raise DomainError(
                    ErrorCode.OUTSIDE_SUBTREE, _("You may hand entries only to staff of your part of the organisation.")
                )
        elif values.get("to_node"):
            to_node = assignable_nodes(user).filter(pk=values["to_node"]).first()
            if to_node is None:
                raise DomainError(
                    ErrorCode.OUTSIDE_SUBTREE, _("You may hand entries only to nodes of your part of the organisation.")
                )
        moved = entries_assign(entry_ids=values["entries"], actor=user, to_node=to_node, to_user=to_user)
        return Response({"moved": moved})

    @extend_schema(request=OutcomeSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def outcomes(self, request: Request, pk: str | None = None) -> Response:
        """Record a contact's outcome; the entry's stage moves forward only."""
        entry = self.get_object()
        payload = OutcomeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        contact_record(
            entry=entry,
            actor=acting_user(request),
            result=values["result"],
            channel=values["channel"],
            note=values["note"],
        )
        entry.refresh_from_db()
        return Response(self.get_serializer(entry).data)

    @extend_schema(request=None, responses=inline_serializer("EntryPhone", {"phone": serializers.CharField()}))
    @action(detail=True, methods=["post"])
    def phone(self, request: Request, pk: str | None = None) -> Response:
        """The full phone number, for the entry's assignee only (403 otherwise); each view is audited."""
        return Response({"phone": entry_phone_reveal(entry=self.get_object(), actor=acting_user(request))})
