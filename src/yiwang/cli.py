"""The `yiwang` console script: every operator task, as Django management commands.

yiwang migrate | yiwang demo load | yiwang serve --port 8000 | yiwang generate --items 100000
yiwang audit verify | yiwang calendar seed | yiwang catalog check | yiwang catalog export …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yiwang", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
