from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from partners.models import User
from risk.services.accounts import settlement_accounts_import


class Command(BaseCommand):
    help = (
        "Imports a settlement-account file of the core system (结算账户数据) from the file drop: the day's "
        "balances (account_no, id_number, balance_date, balance) or transactions (account_no, id_number, "
        "txn_date, amount, direction, counterparty_account, counterparty_name, reference, purpose), CSV (UTF-8 "
        "or GBK) or XLSX, Chinese or English headers (docs/core-files.md). The same rules as POST "
        "/api/v1/settlement-accounts/import/: any bad row refuses the whole file and the command exits non-zero "
        "with the errors; a key already received with the same content is a duplicate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["balances", "transactions"])
        parser.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX")
        parser.add_argument("--user", help="the member of staff the file is received as (default: the system)")

    def handle(self, *args: object, **options: str) -> None:
        actor = None
        if options.get("user"):
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {options['user']}")
        path = Path(options["file"])
        try:
            handle = path.open("rb")  # read in slices by the import, never whole
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            with handle:
                result = settlement_accounts_import(
                    kind=options["kind"], content=handle, filename=path.name, actor=actor
                )
        except DomainError as exc:
            for error in exc.extra.get("errors", []):
                self.stderr.write(f"row {error['row']}, {error['column']}: {error['code']} – {error['detail']}")
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(
            f"{result.rows} rows: {result.created} created, {result.duplicates} duplicates "
            f"(delivery {result.delivery_id})"
        )
