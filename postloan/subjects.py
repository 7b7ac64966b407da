"""What a warning is about, fetched for its page: the loan, farmer, anchor or programme behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

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


def warning_subject(warning: RiskWarning) -> Subject:
    kind, pk = warning.subject_type, warning.subject_id
    if kind == SubjectType.LOAN:
        loan = Loan.objects.select_related("farmer", "program").get(pk=pk)
        return Subject(f"#{loan.pk} {loan.farmer}", reverse("loan-detail", args=[pk]), loan, loan.farmer, [loan])
    if kind == SubjectType.FARMER:
        farmer = Farmer.objects.get(pk=pk)
        loans = list(Loan.objects.filter(farmer=farmer, status=Loan.Status.ACTIVE).select_related("program"))
        return Subject(farmer.name, reverse("farmer-detail", args=[pk]), farmer, farmer, loans)
    if kind == SubjectType.ANCHOR:
        anchor = Anchor.objects.get(pk=pk)
        return Subject(anchor.name, reverse("anchor-detail", args=[pk]), anchor, None, [])
    program = Program.objects.select_related("anchor").get(pk=pk)
    return Subject(program.name, reverse("program-detail", args=[pk]), program, None, [])
