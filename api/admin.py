"""Admin-only access for GraphQL fields (``IsAdmin``)."""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from api.errors import Forbidden
from api.viewer import require_viewer


class IsAdmin(BasePermission):
    """Signed-in admins only: anonymous callers get UNAUTHENTICATED, others FORBIDDEN."""

    message = "Only admins may do this"
    error_extensions = {"code": "FORBIDDEN"}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        user = await require_viewer(info)
        if not user.is_admin:
            raise Forbidden(self.message)
        return True
