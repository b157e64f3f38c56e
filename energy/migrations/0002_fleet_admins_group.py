"""The "Fleet admins" group with the model permissions of accounts, sharing and energy.

Permissions are normally created after ``migrate`` finishes (``post_migrate``); they are created
here first so the group can hold them on a fresh database too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Fleet admins"
APPS = ("accounts", "sharing", "energy")


def forwards(apps: Any, schema_editor: Any) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=APPS))


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_licence_reviewed_by"),
        ("sharing", "0003_hub_managers_fair_use"),
        ("energy", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
