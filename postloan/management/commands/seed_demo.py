from django.core.management.base import BaseCommand
from django.urls import reverse

from campaigns.demo import demo_campaigns_ensure
from core.roles import Role
from distribution.demo import demo_distribution_ensure
from network.demo import demo_network_ensure
from origination.models import Notification
from postloan import demo
from postloan.demo_parts.compensation_end import demo_compensation_end_ensure
from postloan.demo_parts.conflicts import demo_conflicts_ensure
from postloan.demo_parts.limit_life import demo_limit_life_ensure
from postloan.demo_parts.program_change import demo_program_change_ensure
from postloan.demo_parts.renewal import demo_renewal_ensure
from postloan.demo_parts.screening import demo_screening_ensure
from postloan.demo_parts.settlement_accounts import demo_settlement_accounts_ensure
from postloan.demo_parts.statements import demo_statements_ensure


class Command(BaseCommand):
    help = "Loads the demo world and prints the demo logins. Running it twice changes nothing."

    def handle(self, *args: object, **options: object) -> None:
        messages_before = Notification.objects.count()
        demo.demo_org_tree_ensure()
        logins = demo.demo_users_ensure()
        demo.demo_outlet_managers_ensure()
        program = demo.demo_anchor_ensure()
        demo.demo_farmers_place()
        demo.demo_opening_figures()
        demo.demo_book_build(program)
        # The screening, the limit's life, programme changes and provider conflicts (each idempotent).
        demo_screening_ensure()
        demo_renewal_ensure()  # before the limit-life piece, which leaves limits being renewed alone
        demo_limit_life_ensure()
        demo_program_change_ensure()
        demo_conflicts_ensure()
        demo_compensation_end_ensure()  # the anchor pays from its funds, a recovery, a write-off
        demo_settlement_accounts_ensure()  # the core's settlement-account files and their two rules
        demo.demo_cross_selling_ensure()
        demo.demo_handling_today()
        demo_statements_ensure()  # the monthly statements of the months the book has closed
        demo_network_ensure()  # targets of the sub-branches, 蹲点 visits with their actions, training
        demo_campaigns_ensure()  # an SMS campaign sent through the log backend, one waiting for approval
        demo_distribution_ensure()  # the whitelists handed down, a 经营快贷 list, merchants, some contacts
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
        # One line for the text messages the demo sent, rather than one log line each.
        written = Notification.objects.count() - messages_before
        if written:
            self.stdout.write(
                f"{written} SMS notifications written to the outbox"
                f" (read them at {reverse('admin:origination_notification_changelist')})."
            )
        else:
            self.stdout.write("The demo world was loaded before: nothing changed, no SMS sent.")
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {Role(login.role).label}")
