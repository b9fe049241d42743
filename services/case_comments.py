"""Comments on a case, with `@username` mentions that notify. Whoever may see a case may comment on it; a
mention of someone who may not see the case is refused by name, so that a comment never tells an outsider
that the case exists. The caller commits."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import CaseComment, ProcessInstance, User, utcnow
from services import assignment, audit, notifications
from services.errors import DomainError, NotFound
from services.messages import register

register({
    "comment_empty": ("留言不能为空。", "A comment cannot be empty."),
    "mention_unknown": ("没有用户名为 {names} 的人员，请检查 @ 后的用户名。",
                        "There is no user named {names}: check the name after @."),
    "mention_cannot_see": ("{names} 无权查看本案件，不能被 @ 提及；如需其知悉，请先抄送。留言未保存。",
                           "{names} may not see this case and cannot be mentioned; copy them in first. "
                           "The comment was not saved."),
    "notify_case_mention": ("{actor} 在案件 {case} 的留言中提到了您：“{excerpt}”",
                            "{actor} mentioned you in a comment on case {case}: “{excerpt}”"),
})

MAX_LENGTH = 2000
EXCERPT = 60
# `@name` not glued to a preceding ASCII word (an e-mail address is no mention); Chinese text before it is fine.
MENTION = re.compile(r"(?<![A-Za-z0-9_.@])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")


def mentioned_usernames(body: str) -> list[str]:
    """The usernames `@`-mentioned in a comment, each once, in order."""
    seen: list[str] = []
    for name in MENTION.findall(body):
        if name not in seen:
            seen.append(name)
    return seen


def segments(body: str) -> list[tuple[str, bool]]:
    """The comment cut into (text, is_mention) pieces, for a page to mark the mentions without raw HTML."""
    out, at = [], 0
    for match in MENTION.finditer(body):
        if match.start() > at:
            out.append((body[at:match.start()], False))
        out.append((match.group(0), True))
        at = match.end()
    if at < len(body):
        out.append((body[at:], False))
    return out


def add_comment(session: Session, instance: ProcessInstance, author: User, body: str) -> CaseComment:
    """Post a comment and notify the people it mentions; refuses, saving nothing, a mention of someone
    unknown or of someone who may not see the case."""
    if not assignment.can_view_case(session, author, instance):
        raise NotFound("not_found")
    body = (body or "").strip()
    if not body:
        raise DomainError("comment_empty", field="body")
    if len(body) > MAX_LENGTH:
        raise DomainError("too_long", field="body", max=MAX_LENGTH)
    mentioned = _mentioned_users(session, instance, body)
    comment = CaseComment(instance_id=instance.id, author_id=author.id, body=body, created_at=utcnow())
    session.add(comment)
    session.flush()
    told = [u.id for u in mentioned if u.id != author.id]
    excerpt = body if len(body) <= EXCERPT else body[:EXCERPT] + "…"
    notifications.notify(session, told, "notify_case_mention", f"case_comment:{comment.id}", instance_id=instance.id,
                         actor=author.display_name, case=instance.business_key, excerpt=excerpt)
    audit.record(session, "case_commented", author.id, instance.id, comment_id=comment.id,
                 mentioned=[u.username for u in mentioned], length=len(body))
    return comment


def _mentioned_users(session: Session, instance: ProcessInstance, body: str) -> list[User]:
    names = mentioned_usernames(body)
    if not names:
        return []
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names),
                                                                       User.active.is_(True)))}
    unknown = [n for n in names if n not in users]
    if unknown:
        raise DomainError("mention_unknown", field="body", names="、".join("@" + n for n in unknown))
    blind = [users[n] for n in names if not assignment.can_view_case(session, users[n], instance)]
    if blind:
        raise DomainError("mention_cannot_see", field="body",
                          names="、".join(f"{u.display_name}（@{u.username}）" for u in blind))
    return [users[n] for n in names]


def comments_of(session: Session, instance_id: int) -> list[CaseComment]:
    """The case's comments in the order they were written."""
    return list(session.scalars(select(CaseComment).where(CaseComment.instance_id == instance_id)
                                .options(joinedload(CaseComment.author)).order_by(CaseComment.id)))
