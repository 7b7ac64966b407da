import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from partners.services.users import user_create_or_update


class Command(BaseCommand):
    help = (
        "Creates or updates a user with the password in CREATE_USER_PASSWORD. ROLE is account_manager, "
        "risk_approver, branch_manager, anchor_operator or administrator; an anchor operator needs --anchor; "
        "a staff user without --org-node sits at the branch root; an administrator is a superuser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True)
        parser.add_argument("--org-node", default="", help="the code of the user's organisation node")
        parser.add_argument("--anchor", default="", help="the id of an anchor operator's enterprise")

    def handle(self, *args: object, **options: str) -> None:
        try:
            user, created = user_create_or_update(
                username=options["username"],
                password=os.environ.get("CREATE_USER_PASSWORD", ""),
                role=options["role"],
                org_node_code=options["org_node"].strip(),
                anchor_id=options["anchor"].strip(),
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        node = user.org_node.code if user.org_node else "-"
        self.stdout.write(f"{'created' if created else 'updated'} {user.username}: {user.role} at {node}")
