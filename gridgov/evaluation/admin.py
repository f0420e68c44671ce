from django.contrib import admin

from .models import Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "source", "level", "rated_by", "rated_at"]
    list_filter = ["source", "level"]
    search_fields = ["case__number", "comment"]
    readonly_fields = ["case", "source", "level", "comment", "rated_by", "rated_at"]

    def has_add_permission(self, request):
        return False
