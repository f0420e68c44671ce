"""A user's effective role (superusers act as administrators); the roles themselves are
gridgov.accounts.models.Role."""
from gridgov.accounts.models import Role


def role_of(user):
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return user.role
