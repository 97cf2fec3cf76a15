#!/usr/bin/env python
import importlib
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ImproperlyConfigured as exc:  # a bad environment variable: one line, no traceback
        sys.exit(f"bugtrack: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
