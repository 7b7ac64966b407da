import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from postloan.cob import close_business_days
from postloan.tasks import dispatch_to_workers


class Command(BaseCommand):
    help = (
        "Closes one business day, or each day up to (not including) --to, which becomes the business date: "
        "accrual, settlement, overdue, compensation, classification, limits, circuit breaker, warnings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", help="YYYY-MM-DD: the business date after the last day closed")

    def handle(self, *args: object, **options: str | None) -> None:
        target = None
        if options.get("to"):
            try:
                target = dt.date.fromisoformat(str(options["to"]))
            except ValueError:
                raise CommandError(f"--to must be YYYY-MM-DD, not {options['to']!r}.") from None
        try:
            closed = close_business_days(to=target, dispatch=dispatch_to_workers)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        for record in closed:
            self.stdout.write(f"closed {record.day.isoformat()}")
        if closed:
            self.stdout.write(f"business date: {(closed[-1].day + dt.timedelta(days=1)).isoformat()}")
