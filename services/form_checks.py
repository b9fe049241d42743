"""The checks of a submission that need the database: chosen people and reference items exist."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ReferenceItem, RoleAssignment, User
from services.errors import ValidationFailed
from services.forms import FormDefinition
from services.messages import message
from services.roles import ROLES


def check_references(session: Session, form: FormDefinition, data: dict, locale: str) -> None:
    """Refuse unknown or inactive users, users without the field's role, and unregistered reference items."""
    errors: dict[str, list[str]] = {}
    for f in form.fields:
        value = data.get(f.name)
        if value is None:
            continue
        ids = value if isinstance(value, list) else [value]
        if f.type in ("user", "user_list"):
            found = set(session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True))))
            if found != set(ids):
                errors[f.name] = [message("user_unknown", locale)]
            elif f.role:
                holders = set(session.scalars(select(RoleAssignment.user_id).where(
                    RoleAssignment.user_id.in_(ids), RoleAssignment.role == f.role)))
                if holders != set(ids):
                    role = ROLES[f.role].name(locale) if f.role in ROLES else f.role
                    errors[f.name] = [message("user_lacks_role", locale, role=role)]
        elif f.type in ("reference", "reference_list"):
            found = set(session.scalars(select(ReferenceItem.id).where(
                ReferenceItem.id.in_(ids), ReferenceItem.kind == f.reference_kind, ReferenceItem.active.is_(True))))
            if found != set(ids):
                errors[f.name] = [message("reference_unknown", locale)]
    if errors:
        raise ValidationFailed(errors)


def choices(session: Session, field, locale: str) -> list[tuple[int, str]]:
    """(id, label) pairs a page offers for a user, reference or destruction item field."""
    if field.type in ("user", "user_list"):
        stmt = select(User).where(User.active.is_(True)).order_by(User.username)
        if field.role:
            stmt = stmt.where(User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role == field.role)))
        return [(u.id, u.display_name) for u in session.scalars(stmt)]
    if field.type in ("reference", "reference_list"):
        items = session.scalars(select(ReferenceItem).where(
            ReferenceItem.kind == field.reference_kind, ReferenceItem.active.is_(True)).order_by(ReferenceItem.code))
        return [(i.id, i.name(locale)) for i in items]
    if field.type == "destruction_item_list":
        from services import destruction_register
        return destruction_register.registered_choices(session, locale)
    return []


def names(session: Session, field, value, locale: str) -> str:
    """The names behind the ids a user, reference or destruction item field holds, inactive ones included:
    a case keeps naming who and what it named."""
    ids = [i for i in (value if isinstance(value, list) else [value]) if isinstance(i, int)]
    found: dict[int, str] = {}
    if ids and field.type in ("user", "user_list"):
        found = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(ids)))}
    elif ids and field.type in ("reference", "reference_list"):
        found = {i.id: i.name(locale) for i in session.scalars(select(ReferenceItem).where(ReferenceItem.id.in_(ids)))}
    elif ids and field.type == "destruction_item_list":
        from models import DestructionItem
        from services import destruction_register
        found = {i.id: destruction_register.item_label(i)
                 for i in session.scalars(select(DestructionItem).where(DestructionItem.id.in_(ids)))}
    return "、".join(found.get(i, str(i)) for i in ids)
