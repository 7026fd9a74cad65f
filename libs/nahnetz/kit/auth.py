"""Bearer tokens (JWT, HS256, issuer "nahnetz") and who may do what.

Claims: `sub` (user id), `role`, and the scopes a role needs: `shop_id` for a
shop (the one shop it may change), `municipality` for a municipality (the one
area it may see), optionally `on_behalf_of` (an assistant's session for a
resident). Routes use the dependencies:

    @router.put("/shops/{shop_id}/products/{product_id}")
    async def update(shop_id: str, ..., user: User = Depends(require_roles(Role.SHOP, Role.OPERATOR))):
        actor = actor_for_shop(user, shop_id)   # 403 unless it is the shop's own, or staff
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Callable

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..events import Actor
from .errors import Forbidden, Unauthorized
from .http_errors import answers
from .roles import STAFF_ROLES, Role

ISSUER = "nahnetz"
ALGORITHM = "HS256"
LEEWAY = timedelta(seconds=5)  # clock skew between hosts
SCOPE_CLAIMS = ("shop_id", "municipality", "on_behalf_of")
_REQUIRED_SCOPE = {Role.SHOP: "shop_id", Role.MUNICIPALITY: "municipality"}

__all__ = ["Role", "User", "issue_token", "decode_token", "current_user", "CurrentUser",
           "require_roles", "actor_for_shop", "actor_for_resident", "visible_area"]


@dataclass(frozen=True)
class User:
    """The authenticated caller, as the token says."""

    sub: str
    role: Role
    shop_id: str | None = None
    municipality: str | None = None
    on_behalf_of: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def actor(self, on_behalf_of: str | None = None) -> Actor:
        """The Actor to record in event meta for what this user does."""
        return Actor(self.sub, self.role.event_role, on_behalf_of or self.on_behalf_of)


def _secret(settings_or_secret: Any) -> str:
    secret = settings_or_secret if isinstance(settings_or_secret, str) else settings_or_secret.jwt_secret
    if not secret:
        raise ValueError("no JWT secret configured (NAHNETZ_JWT_SECRET)")
    return secret


def issue_token(settings: Any, sub: str, role: Role | str, *, ttl: timedelta | int = timedelta(hours=1),
                now: datetime | None = None, **scopes: str | None) -> str:
    """A signed token for dev, demos and tests. `settings` is a Settings (its
    jwt_secret is used) or the secret itself; `ttl` a timedelta or seconds."""
    role = Role.parse(role)
    unknown = set(scopes) - set(SCOPE_CLAIMS)
    if unknown:
        raise ValueError(f"unknown scope claim(s) {sorted(unknown)}; known: {', '.join(SCOPE_CLAIMS)}")
    needed = _REQUIRED_SCOPE.get(role)
    if needed and not scopes.get(needed):
        raise ValueError(f"a {role.value} token needs {needed}")
    if not sub:
        raise ValueError("a token needs a subject (sub)")
    issued = now or datetime.now(timezone.utc)
    ttl = ttl if isinstance(ttl, timedelta) else timedelta(seconds=ttl)
    claims: dict[str, Any] = {"iss": ISSUER, "sub": sub, "role": role.value,
                              "iat": issued, "exp": issued + ttl}
    claims.update({k: v for k, v in scopes.items() if v})
    return jwt.encode(claims, _secret(settings), algorithm=ALGORITHM)


def decode_token(settings: Any, token: str) -> User:
    """Check signature, issuer and expiry; raise Unauthorized naming the problem."""
    try:
        claims = jwt.decode(token, _secret(settings), algorithms=[ALGORITHM], issuer=ISSUER,
                            leeway=LEEWAY, options={"require": ["exp", "iat", "iss", "sub"]})
    except jwt.ExpiredSignatureError:
        raise _invalid("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise _invalid(f"the token is invalid: {exc}") from None
    try:
        role = Role.parse(str(claims.get("role", "")))
    except ValueError as exc:
        raise _invalid(f"the token is invalid: {exc}") from None
    needed = _REQUIRED_SCOPE.get(role)
    if needed and not claims.get(needed):
        raise _invalid(f"the token is invalid: a {role.value} token needs {needed}")
    return User(sub=str(claims["sub"]), role=role,
                **{k: str(claims[k]) for k in SCOPE_CLAIMS if claims.get(k)})


def _invalid(description: str) -> Unauthorized:
    safe = description.replace('"', "'")
    return Unauthorized(description, headers={
        "WWW-Authenticate": f'Bearer realm="{ISSUER}", error="invalid_token", error_description="{safe}"'})


_bearer = HTTPBearer(auto_error=False, description="A Nahnetz JWT (`nahnetz token --help`).")


@answers((Unauthorized, "No valid bearer token: missing, expired or not ours (`WWW-Authenticate` says why)"))
async def current_user(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> User:
    """The caller; 401 with WWW-Authenticate when the token is missing or bad."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)",
                           headers={"WWW-Authenticate": f'Bearer realm="{ISSUER}"'})
    return decode_token(request.app.state.settings, credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role | str) -> Callable[..., Any]:
    """A dependency giving the caller if their role is one of `roles`, else 403."""
    allowed = frozenset(Role.parse(r) for r in roles)
    if not allowed:
        raise ValueError("require_roles needs at least one role")
    names = " or ".join(sorted(r.value for r in allowed))

    @answers((Forbidden, f"Not allowed: this needs the role {names}"))
    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden(f"this needs the role {names}; your role is {user.role.value}")
        return user

    return dependency


def actor_for_shop(user: User, shop_id: str) -> Actor:
    """A shop may change only its own goods; staff may act for any shop, recorded
    as on_behalf_of. Anyone else: 403."""
    if user.role is Role.SHOP:
        if user.shop_id != shop_id:
            raise Forbidden(f"shop {user.shop_id} may change only its own goods, not those of shop {shop_id}")
        return user.actor()
    if user.is_staff:
        return user.actor(on_behalf_of=shop_id)
    raise Forbidden(f"the role {user.role.value} may not change a shop's goods")


def actor_for_resident(user: User, resident_id: str) -> Actor:
    """A resident acts for themself; staff (a counter, the phone service) for any
    resident, recorded as on_behalf_of."""
    if user.role is Role.RESIDENT:
        if user.sub != resident_id:
            raise Forbidden("a resident may act only for themself")
        return user.actor()
    if user.is_staff:
        return user.actor(on_behalf_of=resident_id)
    raise Forbidden(f"the role {user.role.value} may not act for a resident")


def visible_area(user: User, requested: str | None = None) -> str | None:
    """The area whose figures the caller may see: a municipality only its own
    (asking for another is 403); staff any area, None meaning all."""
    if user.role is Role.MUNICIPALITY:
        if requested is not None and requested != user.municipality:
            raise Forbidden(f"municipality {user.municipality} may see only its own area, not {requested}")
        return user.municipality
    if user.is_staff:
        return requested
    raise Forbidden(f"the role {user.role.value} may not see municipal figures")
