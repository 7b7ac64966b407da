from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting.confirmations import confirmations_import
from accounting.management.commands._common import refused
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Applies the core system's disbursement confirmation file (放款确认文件, CSV in UTF-8 or GBK, or XLSX): "
        "sets each instruction's core reference or rejection. Any bad row refuses the whole file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX")

    def handle(self, *args: object, **options: str) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            result = confirmations_import(content=content, filename=path.name)
        except DomainError as exc:
            for error in exc.extra.get("errors", []):
                self.stderr.write(f"row {error['row']}, {error['column']}: {error['code']} – {error['detail']}")
            raise refused(exc) from None
        summary = result.as_dict()
        self.stdout.write(
            f"{summary['accepted']} paid out, {summary['rejected']} rejected, {summary['unchanged']} already applied"
        )
