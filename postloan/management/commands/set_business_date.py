import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.business_date import business_date_set
from core.errors import DomainError
from origination.figures import book_has_loans


class Command(BaseCommand):
    help = "Sets the business date (营业日). Refuses to move it backwards once any loan exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("date", help="YYYY-MM-DD")

    def handle(self, *args: object, **options: str) -> None:
        try:
            new_date = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"The date must be YYYY-MM-DD, not {options['date']!r}.") from None
        try:
            result = business_date_set(new_date=new_date, backwards_allowed=not book_has_loans())
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(f"business date: {result.isoformat()}")
