from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("案卷")

    def ready(self):
        # HEIC/HEIF (iPhone and many Android cameras) readable by Pillow everywhere photos are opened.
        from pillow_heif import register_heif_opener

        register_heif_opener()

        from django.db.models.signals import post_delete, post_save

        from .models import Category
        from .selectors import forget_categories

        post_save.connect(forget_categories, sender=Category, dispatch_uid="cases_forget_categories_save")
        post_delete.connect(forget_categories, sender=Category, dispatch_uid="cases_forget_categories_delete")
