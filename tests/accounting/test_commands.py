"""The management commands for the file drop: the same kept bytes as the page, refusals as command errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from accounting.models import DisbursementInstruction, InstructionFile, JournalFile
from core.business_date import business_date_set
from tests.accounting.helpers import confirmation_csv
from tests.factories import SOUND_BOOK_DAY

DAY = SOUND_BOOK_DAY


def test_the_commands_write_the_kept_files_and_apply_a_confirmation(world, tmp_path):
    out = io.StringIO()
    call_command("disbursement_instructions", "--out", str(tmp_path), stdout=out)
    record = InstructionFile.objects.get(business_date=DAY)
    written = (tmp_path / "DISBURSEMENT_20270615.csv").read_bytes()
    assert written == record.stored_file.content.open("rb").read()
    assert record.sha256 in out.getvalue()

    instruction = DisbursementInstruction.objects.get()
    confirmation = tmp_path / "confirm.csv"
    confirmation.write_bytes(confirmation_csv([(instruction.number, instruction.loan_id, "CB7", "50000", "成功", DAY)]))
    out = io.StringIO()
    call_command("disbursement_confirmations_import", str(confirmation), stdout=out)
    assert out.getvalue().startswith("1 paid out")

    with pytest.raises(CommandError, match="day_not_closed"):
        call_command("gl_journal", "--date", DAY.isoformat())
    business_date_set(new_date=DAY + dt.timedelta(days=1), backwards_allowed=False)
    call_command("gl_journal", "--out", str(tmp_path), stdout=io.StringIO())
    journal = JournalFile.objects.get(business_date=DAY)
    assert (tmp_path / "GL_JOURNAL_20270615.csv").read_bytes() == journal.stored_file.content.open("rb").read()


def test_a_refused_confirmation_file_lists_its_rows_on_stderr(world, tmp_path):
    call_command("disbursement_instructions", stdout=io.StringIO())
    instruction = DisbursementInstruction.objects.get()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(confirmation_csv([(instruction.number, instruction.loan_id, "CB7", "1.00", "accepted", DAY)]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="file_rejected"):
        call_command("disbursement_confirmations_import", str(bad), stderr=err)
    assert "amount_mismatch" in err.getvalue()
    with pytest.raises(CommandError, match="not a date"):
        call_command("gl_journal", "--date", "yesterday")
