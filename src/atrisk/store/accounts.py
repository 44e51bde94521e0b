"""Users, roles and API tokens. Passwords are hashed with Argon2id (argon2-cffi); API tokens
are random and only their SHA-256 is kept, so a leaked database gives away neither."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atrisk.domain.errors import ConfigError, SignInLocked, SignInThrottled
from atrisk.store import audit
from atrisk.store.schema import (
    ApiToken,
    SignInFailure,
    SignInSession,
    Team,
    TeamMember,
    User,
)

#: Roles from least to most allowed; each role may do everything the ones before it may.
ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
MIN_PASSWORD = 10
TOKEN_PREFIX = "atr_"
#: Sign-in limits: wrong passwords for one e-mail from one client, and from one client in
#: all, within ``WINDOW``; failures for one account from all clients that are audited.
LOCK_AFTER = 5
CLIENT_LIMIT = 20
NOTICE_AFTER = 20
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)

_hasher = PasswordHasher()
#: Verified against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong
#: password (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash("not a real password")


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` includes ``needed``."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def add_user(s: Session, email: str, password: str, role: str, name: str = "",
             actor: User | None = None) -> User:
    """Create a user; the e-mail is unique (case-insensitive) and the password long enough."""
    email = email.strip().lower()
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ConfigError(f"{email!r} is not an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")
    if user_by_email(s, email) is not None:
        raise ConfigError(f"a user {email} already exists")
    user = User(email=email, name=name.strip() or email.split("@")[0], role=role, active=True,
                password_hash=_hasher.hash(password), created_at=datetime.now(UTC))
    s.add(user)
    s.flush()
    audit.record(s, actor, "user.add", "user", user.id, email=email, role=role)
    return user


def user_by_email(s: Session, email: str) -> User | None:
    return s.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.email)))


def authenticate(s: Session, email: str, password: str, client: str = "local",
                 now: datetime | None = None) -> User | None:
    """The active user with this e-mail and password, else None.

    Wrong passwords are counted in the database (every worker sees them) per client address:
    ``CLIENT_LIMIT`` in ``WINDOW`` from one client and it is refused for a while, before any
    password is hashed (``SignInThrottled``: slows guessing and spraying, and a flood costs no
    Argon2); ``LOCK_AFTER`` for one e-mail from one client and that client may not sign in as
    it for ``WINDOW`` (``SignInLocked``). Other clients still can: a stranger cannot lock an
    analyst out. Many failures for one account from many clients are written to the audit
    log (``user.guessed``), so distributed guessing is noticed.
    """
    now = now or datetime.now(UTC)
    since = now - WINDOW
    s.query(SignInFailure).filter(SignInFailure.at < now - KEEP).delete()
    recent = select(func.count()).select_from(SignInFailure).where(SignInFailure.at >= since)
    from_client = s.scalar(recent.where(SignInFailure.client == client)) or 0
    if from_client >= CLIENT_LIMIT:
        raise SignInThrottled(_free_at(s, since, SignInFailure.client == client, CLIENT_LIMIT))
    key = _digest(email.strip().lower())
    pair = (SignInFailure.client == client) & (SignInFailure.email_hash == key)
    if (s.scalar(recent.where(pair)) or 0) >= LOCK_AFTER:
        raise SignInLocked(_free_at(s, since, pair, LOCK_AFTER))
    user = user_by_email(s, email)
    try:  # always one hash, so the time taken says nothing about the account
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        right = True
    except (VerificationError, InvalidHashError):
        right = False
    if not right:
        s.add(SignInFailure(client=client, email_hash=key, at=now))
        if user is not None:
            _notice_guessing(s, user, key, since)
        return None
    if user is None or not user.active:
        return None
    s.query(SignInFailure).filter(pair).delete()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _free_at(s: Session, since: datetime, which: Any, limit: int) -> datetime:
    """When the ``limit``-th most recent failure of ``which`` leaves the window."""
    times = list(s.scalars(select(SignInFailure.at).where(which, SignInFailure.at >= since)
                           .order_by(SignInFailure.at.desc()).limit(limit)))
    return _aware(times[-1]) + WINDOW


def _notice_guessing(s: Session, user: User, key: str, since: datetime) -> None:
    """Audit an account whose failures from all clients reach ``NOTICE_AFTER`` (once)."""
    count = s.scalar(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.email_hash == key, SignInFailure.at >= since)) or 0
    if count + 1 == NOTICE_AFTER:
        audit.record(s, None, "user.guessed", "user", user.id, failures=count + 1,
                     minutes=int(WINDOW.total_seconds() // 60))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def update_user(s: Session, user: User, role: str, active: bool,
                actor: User | None = None) -> None:
    """Change a user's role and whether they may sign in."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    before = {"role": user.role, "active": user.active}
    user.role, user.active = role, active
    audit.record(s, actor, "user.update", "user", user.id, before=before,
                 after={"role": role, "active": active})


def new_token(s: Session, user: User, name: str) -> str:
    """Create an API token for ``user``; returns the token (the only time it is seen)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip() or "token", prefix=token[:10],
                   token_hash=_digest(token), created_at=datetime.now(UTC))
    s.add(row)
    s.flush()
    audit.record(s, user, "token.add", "api_token", row.id, name=row.name, prefix=row.prefix)
    return token


def tokens(s: Session, user: User) -> list[ApiToken]:
    return list(s.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                          .order_by(ApiToken.id)))


def revoke_token(s: Session, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False when it is not theirs or already revoked."""
    token = s.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = datetime.now(UTC)
    audit.record(s, user, "token.revoke", "api_token", token.id, prefix=token.prefix)
    return True


def user_by_token(s: Session, token: str) -> User | None:
    """The active user a (not revoked) API token belongs to."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = s.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                             ApiToken.revoked_at.is_(None))).first()
    if found is None:
        return None
    user = s.get(User, found.user_id)
    return user if user is not None and user.active else None


#: How long a browser session lasts (the cookie's lifetime too).
SESSION_LENGTH = timedelta(hours=8)


def start_session(s: Session, user: User) -> str:
    """A new sign-in session for ``user``; returns its key (kept only in the cookie). Expired
    sessions of anyone are cleared on the way."""
    now = datetime.now(UTC)
    s.query(SignInSession).filter(SignInSession.expires_at < now).delete()
    key = secrets.token_urlsafe(32)
    s.add(SignInSession(key_hash=_digest(key), user_id=user.id, created_at=now,
                        expires_at=now + SESSION_LENGTH))
    return key


def session_user(s: Session, key: str) -> User | None:
    """The active user whose unexpired session has ``key``."""
    found = s.scalars(select(SignInSession).where(SignInSession.key_hash == _digest(key))).first()
    if found is None or _aware(found.expires_at) < datetime.now(UTC):
        return None
    user = s.get(User, found.user_id)
    return user if user is not None and user.active else None


def end_session(s: Session, key: str) -> None:
    """End the session with ``key`` on the server (signing out)."""
    s.query(SignInSession).filter(SignInSession.key_hash == _digest(key)).delete()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_team(s: Session, user: User, team_name: str, actor: User | None = None) -> Team:
    """Put ``user`` in the team (made on first use)."""
    name = team_name.strip()
    if not name:
        raise ConfigError("a team needs a name")
    team = s.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name, created_at=datetime.now(UTC))
        s.add(team)
        s.flush()
        audit.record(s, actor, "team.add", "team", team.id, name=name)
    if s.get(TeamMember, (team.id, user.id)) is None:
        s.add(TeamMember(team_id=team.id, user_id=user.id))
        audit.record(s, actor, "team.join", "team", team.id, user=user.id)
    return team


def teams_of(s: Session, user: User) -> list[Team]:
    return list(s.scalars(select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                          .where(TeamMember.user_id == user.id).order_by(Team.name)))
