from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from partners.services.org import org_tree_load


class Command(BaseCommand):
    help = (
        "Loads the organisation tree (机构树) from a CSV or XLSX file with columns code, name, kind, "
        "parent_code, sub_branch_class: adds new nodes and updates the names and classes of known ones, "
        "never deletes. Any bad row refuses the whole file. A branch row must carry the root's code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8 or GBK) or XLSX")

    def handle(self, *args: object, **options: str) -> None:
        path = Path(options["file"])
        try:
            handle = path.open("rb")  # read in chunks by the load, never whole
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            with handle:
                result = org_tree_load(content=handle, filename=path.name)
        except DomainError as exc:
            for error in exc.extra.get("errors", []):
                self.stderr.write(f"row {error['row']}, {error['column']}: {error['code']} – {error['detail']}")
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(f"{len(result.created)} created, {len(result.updated)} updated, {result.unchanged} unchanged")
