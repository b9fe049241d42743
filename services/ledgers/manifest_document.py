"""A destruction manifest as the paper the escorts carry (DES.2): the items with their DES.3 categories,
counts per category, the leader who signed, the escorts, the designated site, and room for the receiving
site's confirmation. Read from the manifest's own rows, so an item later returned to the register still
shows on the manifest it travelled with."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DestructionItem, ProcessInstance, ReferenceItem, User
from models.ledgers import DestructionManifest, DestructionManifestItem
from services import assets, destruction_register
from services.errors import NotFound
from services.ledgers import scope
from services.ledgers.base import label, local_day, local_time
from services.ledgers.destruction_manifests import STATUSES, escort_names


@dataclass
class ManifestDocument:
    number: str
    status: str
    compiled_on: str
    compiled_by: str
    planned_on: str
    signed_by: str
    signed_at: str
    escorts: list[str]
    site: str
    delivered_on: str
    items: list[dict] = field(default_factory=list)
    # (category label, items, copies, pages) in the order of DES.3
    by_category: list[tuple[str, int, int, int]] = field(default_factory=list)

    @property
    def total_items(self) -> int:
        return len(self.items)

    @property
    def total_copies(self) -> int:
        return sum(i["copies"] for i in self.items)


def document(session: Session, user: User, instance_id: int, locale: str) -> ManifestDocument:
    """The manifest of case `instance_id`, for a reader of the destruction manifests (else Forbidden)."""
    scope(session, user, "destruction")
    manifest = session.get(DestructionManifest, instance_id)
    if manifest is None:
        raise NotFound("not_found")
    instance = session.get(ProcessInstance, instance_id)
    names = dict(session.execute(select(User.id, User.display_name)).all())
    site = session.get(ReferenceItem, manifest.site_id) if manifest.site_id else None
    items = list(session.scalars(
        select(DestructionItem).join(DestructionManifestItem, DestructionManifestItem.item_id == DestructionItem.id)
        .where(DestructionManifestItem.instance_id == instance_id).order_by(DestructionItem.category,
                                                                            DestructionItem.id)))
    doc = ManifestDocument(
        number=instance.business_key, status=label(STATUSES.get(instance.status), locale, instance.status),
        compiled_on=local_day(instance.created_at), compiled_by=names.get(manifest.compiled_by_id, ""),
        planned_on=local_day(manifest.planned_on), signed_by=names.get(manifest.signed_by_id, ""),
        signed_at=local_time(manifest.signed_at), escorts=escort_names(manifest, names),
        site=site.name(locale) if site else "", delivered_on=local_day(manifest.delivered_on))
    counts: dict[str, list[int]] = {}
    for item in items:
        doc.items.append({
            "id": item.id, "label": destruction_register.item_label(item),
            "category": _category_number(item.category, locale),
            "item_type": label(destruction_register.ITEM_TYPES.get(item.item_type), locale, item.item_type),
            "classification": label(assets.CLASSIFICATIONS.get(item.classification), locale, item.classification),
            "copies": item.copies, "pages": item.pages,
            "outcome": _outcome(item, instance_id, locale), "receipt_number": item.receipt_number})
        tally = counts.setdefault(item.category, [0, 0, 0])
        tally[0] += 1
        tally[1] += item.copies
        tally[2] += item.pages
    doc.by_category = [(label(destruction_register.CATEGORIES.get(c), locale, c), *counts[c])
                       for c in sorted(counts)]
    return doc


def _category_number(category: str, locale: str) -> str:
    """DES.3's item number as the regulation writes it: （二） in Chinese, (2) in English."""
    numerals = "一二三四五六七"
    if locale.startswith("en") or not category.isdigit() or not 1 <= int(category) <= len(numerals):
        return f"({category})"
    return f"（{numerals[int(category) - 1]}）"


def _outcome(item: DestructionItem, instance_id: int, locale: str) -> str:
    if item.status == "destroyed" and item.manifest_instance_id == instance_id:
        return label(("已销毁", "Destroyed"), locale) + f" {local_day(item.destroyed_at)}"
    if item.manifest_instance_id == instance_id:
        return label(("待销毁", "To destroy"), locale)
    return label(("已退回登记簿", "Returned to the register"), locale)
