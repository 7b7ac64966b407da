from django.core.management.base import BaseCommand, CommandParser

from accounting.files import stored_bytes
from accounting.instructions import instruction_file_generate
from accounting.management.commands._common import parse_day, refused, write_out
from core.business_date import business_date_get
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Makes the disbursement instruction file (放款指令文件) of a business date for the core system: every "
        "loan drawn on or before it that no instruction names yet. The same date again gives the kept file, "
        "byte for byte. Prints its SHA-256; --out writes it into a folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="business date, YYYY-MM-DD (default: the business date)")
        parser.add_argument("--out", help="folder to write the file into (the core's file drop)")

    def handle(self, *args: object, **options: str) -> None:
        day = parse_day(options.get("date"), business_date_get())
        try:
            record = instruction_file_generate(day=day)
        except DomainError as exc:
            raise refused(exc) from None
        path = write_out(options.get("out"), record.stored_file.name, stored_bytes(record.stored_file))
        self.stdout.write(f"{record.business_date} {record.lines} instructions {record.total} sha256 {record.sha256}")
        if path is not None:
            self.stdout.write(f"written to {path}")
