import datetime as dt

from django.core.management.base import BaseCommand, CommandParser

from accounting.journal import journal_file_bytes, journal_file_generate
from accounting.management.commands._common import parse_day, refused, write_out
from core.business_date import business_date_get
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Makes the general-ledger journal file (会计分录文件) of a closed business day: its ledger movements as "
        "balanced double entries by account. The same day again gives the same bytes; a day whose ledger "
        "changed since is refused (file_changed), and so is a movement the chart of accounts does not map."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="business date, YYYY-MM-DD (default: the last closed day)")
        parser.add_argument("--out", help="folder to write the file into (the general ledger's file drop)")

    def handle(self, *args: object, **options: str) -> None:
        day = parse_day(options.get("date"), business_date_get() - dt.timedelta(days=1))
        try:
            record = journal_file_generate(day=day)
        except DomainError as exc:
            raise refused(exc) from None
        path = write_out(options.get("out"), record.stored_file.name, journal_file_bytes(record))
        self.stdout.write(
            f"{record.business_date} {record.lines} lines, debit {record.total_debit} = credit {record.total_credit}"
            f" sha256 {record.sha256}"
        )
        if path is not None:
            self.stdout.write(f"written to {path}")
