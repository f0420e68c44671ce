from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("账号与角色")

    def ready(self):
        from gridgov.auth import connect_signals

        connect_signals(self.get_model("User"))
