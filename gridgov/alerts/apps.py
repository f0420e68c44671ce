from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "gridgov.alerts"
    label = "alerts"
    verbose_name = _("预警与督办")

    def ready(self):
        # The database functions and views of every app's sql/ folder (gridgov.dbsql); connected to this
        # app's signal only, so they run once per migrate, after all apps have migrated.
        from gridgov import dbsql

        pre_migrate.connect(dbsql.on_pre_migrate, sender=self, dispatch_uid="gridgov.dbsql.pre")
        post_migrate.connect(dbsql.on_post_migrate, sender=self, dispatch_uid="gridgov.dbsql.post")
