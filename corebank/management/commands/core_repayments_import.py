from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from corebank.debit_files import debit_file_import
from partners.models import User


class Command(BaseCommand):
    help = (
        "Imports the core system's debit file (核心扣款文件) from the file drop: CSV (UTF-8 or GBK) or XLSX with "
        "columns loan, value_date, amount, reference (or 贷款编号, 入账日期, 金额, 核心流水号). The same rules as "
        "POST /api/v1/core/repayments/import/: any bad row refuses the whole file and the command exits non-zero "
        "with the errors; a reference already received is a duplicate. The debits are applied by the close of "
        "their value date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX")
        parser.add_argument(
            "--user",
            help="the administrator the file is received as (default: the oldest active superuser)",
        )

    def handle(self, *args: object, **options: str) -> None:
        actor = self._actor(options.get("user"))
        path = Path(options["file"])
        try:
            handle = path.open("rb")  # read in slices by the import, never whole
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            with handle:
                result = debit_file_import(content=handle, filename=path.name, actor=actor)
        except DomainError as exc:
            for error in exc.extra.get("errors", []):
                self.stderr.write(f"row {error['row']}, {error['column']}: {error['code']} – {error['detail']}")
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        debit_file = result.file
        self.stdout.write(
            f"{debit_file.accepted} accepted, {debit_file.duplicates} duplicates "
            f"(file {debit_file.pk}, SHA-256 {debit_file.sha256})"
        )

    def _actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("date_joined", "id").first()
        )
        if actor is None:
            raise CommandError(f"no active user {username}" if username else "no active superuser: give --user")
        return actor
