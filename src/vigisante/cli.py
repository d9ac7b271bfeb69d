"""The `vigisante` command: Django's management commands, with dashed names.

`vigisante demo`, `vigisante serve`, `vigisante import-establishments FILE.csv`, ... map to the
management commands of the same name with underscores; any other Django command works too
(`vigisante migrate`, `vigisante createsuperuser`). `vigisante iocs` runs without Django.
`vigisante`, `vigisante --help` and `vigisante help` list Vigisanté's own commands first, one
line each, then the other Django commands.
"""

from __future__ import annotations

import os
import sys

#: One line per command of ours, in the order a newcomer needs them. A command an app adds
#: later and that is missing here is still listed (with the first sentence of its help).
SUMMARIES = {
    "demo": "synthetic data and a local site, ready in seconds (try Vigisanté)",
    "demo-otp": "the current second-factor code of a demo analyst or admin",
    "serve": "the site behind gunicorn, static files included (migrates first)",
    "worker": "background tasks: regulatory-clock reminders, e-mails",
    "create-token": "an API token for a user (printed once)",
    "import-establishments": "load or update the establishments registry from a CSV file",
    "import-suppliers": "which establishment uses which supplier and software, from a CSV",
    "import-veris": "import VERIS incident files (public data set, kept apart)",
    "import-hhs": "import the US HHS OCR breach portal CSV (public data set, kept apart)",
    "observatory": "write the annual observatory of a period (HTML, PDF, JSON, CSV)",
    "clocks": "recompute the regulatory clocks, or run one reminder scan now",
    "audit": "audit trail tools: `audit verify` checks the hash chain",
    "backup": "the database and attachments in one checked archive",
    "restore": "restore a `vigisante backup` archive (checksums first)",
    "rotate-key": "re-encrypt secrets and attachments under the current key (or --status)",
    "iocs": "extract indicators (IP, domains, hashes...) from a file; no database needed",
    "check-logs": "look for known indicators in an establishment's logs; no database needed",
    "correlate": "recompute every link between reports and the proposed campaigns (--rebuild)",
}
#: Django commands that make no sense for an installed Vigisanté (they still work).
HIDDEN = {"startproject", "startapp", "runserver", "testserver"}
HELP_FLAGS = ("-h", "--help", "help")


def help_text() -> str:
    """Vigisanté's commands first, one line each, then the other Django commands."""
    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    ours: dict[str, str] = {}
    others: list[str] = []
    for name, app in get_commands().items():
        if app.startswith("vigisante."):
            dashed = name.replace("_", "-")
            ours[dashed] = SUMMARIES.get(dashed) or _first_sentence(
                load_command_class(app, name).help)
        elif name not in HIDDEN:
            others.append(name.replace("_", "-"))
    for standalone in ("iocs", "check-logs"):  # commands that run without Django
        ours.setdefault(standalone, SUMMARIES[standalone])
    order = [n for n in SUMMARIES if n in ours] + sorted(set(ours) - set(SUMMARIES))
    width = max(map(len, order)) + 2
    lines = ["usage: vigisante <command> [options]     (vigisante <command> --help for more)",
             "", "Vigisanté commands:"]
    lines += [f"  {name:<{width}}{ours[name]}" for name in order]
    lines += ["", "Other Django commands:"]
    others.sort()
    col = max(map(len, others), default=0) + 2
    per_line = max(1, 78 // col)
    for i in range(0, len(others), per_line):
        lines.append("  " + "".join(f"{n:<{col}}" for n in others[i:i + per_line]).rstrip())
    return "\n".join(lines) + "\n"


def _first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    return text.split(". ")[0].rstrip(".")[:90]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) == 1 or (len(argv) == 2 and argv[1] in HELP_FLAGS):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigisante.config.settings")
        sys.stdout.write(help_text())
        return
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
