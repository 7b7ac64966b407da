"""Compiles the .po catalogues to .mo with polib, so no system gettext is needed to install."""

from pathlib import Path

import polib  # type: ignore[import-untyped]
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compiles every locale/*/LC_MESSAGES/*.po into its .mo (pure Python, no msgfmt needed)."

    def handle(self, *args: object, **options: object) -> None:
        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                catalogue = polib.pofile(str(po_path))
                mo_path = po_path.with_suffix(".mo")
                if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                    catalogue.save_as_mofile(str(mo_path))
                    count += 1
        self.stdout.write(f"compiled {count} catalogue(s)")
