from django.apps import AppConfig


class BugtrackConfig(AppConfig):
    name = "bugtrack"
    verbose_name = "Bugtrack"
