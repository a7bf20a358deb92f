"""Who may call a field: signed-in users (``IsAuthenticated``) and admins (``IsAdmin``).

Anonymous callers browse the catalog; everything personal needs a signed-in user. A user
reads and changes only their own playlists and plays; an admin may read anyone's.
"""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from api.accounts.viewer import require_viewer, viewer
from api.context import Context
from domain.errors import Forbidden


class IsAuthenticated(BasePermission):
    """Signed-in users only (``UNAUTHENTICATED`` otherwise)."""

    message = "Sign in to see this (Authorization: Bearer <token>)"
    error_extensions = {"code": "UNAUTHENTICATED"}

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return await viewer(info) is not None


class IsAdmin(BasePermission):
    """Signed-in admins only: anonymous callers get UNAUTHENTICATED, others FORBIDDEN."""

    message = "Only admins may do this"
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        user = await require_viewer(info)
        if not user.is_admin:
            raise Forbidden(self.message)
        return True
