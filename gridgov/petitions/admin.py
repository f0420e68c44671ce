from django.contrib import admin

from .models import PetitionMatter, PetitionParty, Petitioner, Review


class PartyInline(admin.TabularInline):
    model = PetitionParty
    extra = 0
    raw_id_fields = ("petitioner",)


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    fields = ("kind", "requested_at", "decision_due", "outcome", "decided_at")
    readonly_fields = fields
    can_delete = False


@admin.register(PetitionMatter)
class PetitionMatterAdmin(admin.ModelAdmin):
    list_display = ("case", "nature", "head_count", "level_reached", "decision", "notice_due", "handling_due")
    list_filter = ("nature", "decision", "level_reached")
    raw_id_fields = ("case", "repeat_of", "first_unit", "decided_by")
    inlines = [PartyInline, ReviewInline]

    def has_add_permission(self, request):  # registered through gridgov.petitions.actions only
        return False


@admin.register(Petitioner)
class PetitionerAdmin(admin.ModelAdmin):
    list_display = ("name", "id_masked", "phone_masked", "merged_into", "created_at")
    search_fields = ("name",)
    exclude = ("id_hash", "phone_hash")  # the hashes are for linking, not for reading
    readonly_fields = ("id_masked", "phone_masked", "merged_into", "created_at")

    def has_add_permission(self, request):
        return False
