"""What a warning is about, fetched for its page: the loan, farmer, anchor or programme behind it.

A subject is shown by its kind, its name and a number a person can look up (the loan's number, the tail of
the farmer's masked identity number), never as ``loan:158`` or ``#85``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from origination.models import Loan
from partners.models import Anchor, Farmer, Program
from postloan.models import RiskWarning, SubjectType


@dataclass(frozen=True)
class Subject:
    label: str
    url: str
    obj: Any
    farmer: Farmer | None
    loans: list[Loan]


def loan_label(loan: Loan) -> str:
    return _("Loan #%(id)s · %(farmer)s") % {"id": loan.pk, "farmer": loan.farmer.name}


def farmer_label(farmer: Farmer) -> str:
    return _("Farmer %(name)s (ID ending %(tail)s)") % {"name": farmer.name, "tail": farmer.id_masked[-4:]}


def anchor_label(anchor: Anchor) -> str:
    return _("Anchor %(name)s") % {"name": anchor.name}


def program_label(program: Program) -> str:
    return _("Programme %(name)s") % {"name": program.name}


def warning_subject(warning: RiskWarning) -> Subject:
    kind, pk = warning.subject_type, warning.subject_id
    if kind == SubjectType.LOAN:
        loan = Loan.objects.select_related("farmer", "program").get(pk=pk)
        return Subject(loan_label(loan), reverse("loan-detail", args=[pk]), loan, loan.farmer, [loan])
    if kind == SubjectType.FARMER:
        farmer = Farmer.objects.get(pk=pk)
        loans = list(Loan.objects.filter(farmer=farmer, status=Loan.Status.ACTIVE).select_related("program"))
        return Subject(farmer_label(farmer), reverse("farmer-detail", args=[pk]), farmer, farmer, loans)
    if kind == SubjectType.ANCHOR:
        anchor = Anchor.objects.get(pk=pk)
        return Subject(anchor_label(anchor), reverse("anchor-detail", args=[pk]), anchor, None, [])
    program = Program.objects.select_related("anchor").get(pk=pk)
    return Subject(program_label(program), reverse("program-detail", args=[pk]), program, None, [])


def subject_labels(warnings: Iterable[RiskWarning]) -> dict[tuple[str, int], str]:
    """The name of each warning's subject, for a list: one query per kind of subject on the page."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for warning in warnings:
        wanted[warning.subject_type].add(warning.subject_id)
    labels: dict[tuple[str, int], str] = {}
    if wanted[SubjectType.LOAN]:
        for loan in Loan.objects.filter(pk__in=wanted[SubjectType.LOAN]).select_related("farmer"):
            labels[SubjectType.LOAN, loan.pk] = loan_label(loan)
    if wanted[SubjectType.FARMER]:
        for farmer in Farmer.objects.filter(pk__in=wanted[SubjectType.FARMER]).only("name", "id_masked"):
            labels[SubjectType.FARMER, farmer.pk] = farmer_label(farmer)
    if wanted[SubjectType.ANCHOR]:
        for anchor in Anchor.objects.filter(pk__in=wanted[SubjectType.ANCHOR]).only("name"):
            labels[SubjectType.ANCHOR, anchor.pk] = anchor_label(anchor)
    if wanted[SubjectType.PROGRAM]:
        for program in Program.objects.filter(pk__in=wanted[SubjectType.PROGRAM]).only("name"):
            labels[SubjectType.PROGRAM, program.pk] = program_label(program)
    return labels


def label_subjects(warnings: Iterable[RiskWarning]) -> list[RiskWarning]:
    """The warnings, each with ``subject_label`` set: what the list pages show."""
    warnings = list(warnings)
    labels = subject_labels(warnings)
    for warning in warnings:
        warning.subject_label = labels.get(  # type: ignore[attr-defined]
            (warning.subject_type, warning.subject_id), warning.get_subject_type_display()
        )
    return warnings
