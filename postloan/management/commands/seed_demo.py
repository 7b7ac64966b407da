from django.core.management.base import BaseCommand

from core.roles import Role
from postloan import demo


class Command(BaseCommand):
    help = "Loads the demo world and prints the demo logins. Running it twice changes nothing."

    def handle(self, *args: object, **options: object) -> None:
        demo.demo_org_tree_ensure()
        logins = demo.demo_users_ensure()
        demo.demo_outlet_managers_ensure()
        program = demo.demo_anchor_ensure()
        demo.demo_farmers_place()
        demo.demo_opening_figures()
        demo.demo_book_build(program)
        demo.demo_cross_selling_ensure()
        demo.demo_handling_today()
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {Role(login.role).label}")
