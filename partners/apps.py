from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Organisation and partners")

    def ready(self) -> None:
        # What an id in the API may name (core.api.scopes): the same rules as every list and page.
        from core.api.scopes import scope_register
        from partners.models import Anchor, Farmer, OrgNode, Program
        from partners.scoping import nodes_in_reach, visible_anchors, visible_farmers, visible_programs

        scope_register(Anchor, visible_anchors)
        scope_register(Program, visible_programs)
        scope_register(Farmer, visible_farmers)
        # A node names where an anchor or programme is managed: the user's subtree and the chain above him.
        scope_register(OrgNode, nodes_in_reach)
