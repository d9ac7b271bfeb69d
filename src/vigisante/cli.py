"""The `vigisante` command: Django's management commands, with dashed names.

`vigisante demo`, `vigisante serve`, `vigisante import-establishments FILE.csv`, ... map to the
management commands of the same name with underscores; any other Django command works too
(`vigisante migrate`, `vigisante createsuperuser`). `vigisante iocs` runs without Django.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "check-logs":  # runs on establishments' servers: no Django
        from vigisante.indicators.checklogs import main as check_logs

        raise SystemExit(check_logs(argv[2:]))
    if len(argv) > 1 and argv[1] == "iocs":
        # no database, no Django settings: pure extraction
        from vigisante.indicators.extraction.cli import main as iocs_main

        sys.exit(iocs_main(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigisante.config.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["vigisante", *argv[1:]])
    except ImproperlyConfigured as exc:  # e.g. production refusing an unsafe setting
        sys.stderr.write(f"vigisante: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
