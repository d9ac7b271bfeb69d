"""The process that reads and parses an HHS export for `import-hhs` (see hhs_import): started
by the import with the file open on a descriptor, it sets Django up from the importing
process's environment (DJANGO_SETTINGS_MODULE) and writes the prepared batches, pickled, on
its standard output. It never touches the database.

    python -m vigisante.observatory.hhs_child FD BATCH_SIZE LANGUAGE
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    fd, batch_size, language = int(argv[0]), int(argv[1]), argv[2]
    import django

    django.setup()
    from vigisante.observatory import hhs_import

    hhs_import.child_main(fd, batch_size, language)


if __name__ == "__main__":
    main(sys.argv[1:])
