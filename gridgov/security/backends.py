"""Login lockout as an authentication backend (django-axes)."""
from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username+IP before ModelBackend checks the password.

    A call without a request (manage.py shell, the test client's login()) is no web login: there is
    no IP address to lock, so it is passed on to the next backend instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
