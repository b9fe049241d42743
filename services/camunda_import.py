"""BPMN made in Camunda Modeler, turned into Baomi's: candidate groups become lanes named after roles (drawn on
the diagram, so the modeler shows them), camunda:formData becomes the task's form, Camunda's `${...}` and
unquoted timer durations become Python; everything else Camunda-specific is named as not mapped."""
from __future__ import annotations

import re

from lxml import etree

from services.bpmn_validation import BPMN_NS, ISO_DURATION, NS, SPIFF_NS
from services.roles import ROLES

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
OMG_DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
# Camunda form field types → Baomi's; others are named as not mapped.
FIELD_TYPES = {"string": "string", "long": "integer", "boolean": "boolean", "date": "date", "enum": "choice"}
LANE_HEIGHT = 150
POOL_LABEL = 30   # the pool's name runs down its left edge, the lane's name next to it
LANE_LABEL = 30


def _cam(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def uses_camunda(root) -> bool:
    return CAMUNDA_NS in root.nsmap.values() or bool(root.xpath("//@*[namespace-uri()=$ns]", ns=CAMUNDA_NS))


def note(element_id, what: str, mapped: bool) -> dict:
    return {"element_id": element_id, "mapped": mapped, "what": what}


def map_camunda(root, process_id: str) -> tuple[list[dict], dict[str, dict]]:
    """Turn Camunda Modeler's extensions into Baomi's, in place. Returns a note per element saying what was
    mapped and exactly what was not, and the forms read from camunda:formData ({task id: form JSON})."""
    process = next(p for p in root.findall("bpmn:process", NS) if p.get("id") == process_id)
    notes, forms, new_lanes = [], {}, []
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        task_id = task.get("id")
        groups = [g.strip() for g in (task.get(_cam("candidateGroups")) or "").split(",") if g.strip()]
        if len(groups) == 1 and groups[0] in ROLES:
            lane_id = _move_to_lane(process, task_id, groups[0])
            del task.attrib[_cam("candidateGroups")]
            new_lanes.append(lane_id)
            notes.append(note(task_id, f"candidateGroups {groups[0]} → lane {groups[0]}", True))
        elif groups:
            notes.append(note(task_id, f"candidateGroups {', '.join(groups)}: not mapped; a task has exactly one "
                              f"lane, named after one of the roles {', '.join(ROLES)}", False))
        for attr, why in (("assignee", "Baomi assigns by lane role (and the assignee_from property)"),
                          ("candidateUsers", "Baomi assigns by lane role, not by named users"),
                          ("formKey", "an outside form cannot be shown; write the task's form in the form editor")):
            if task.get(_cam(attr)):
                notes.append(note(task_id, f"{attr}={task.get(_cam(attr))}: not mapped; {why}", False))
        form_data = task.find("bpmn:extensionElements/{%s}formData" % CAMUNDA_NS, NS)
        if form_data is not None:
            form, form_notes = _form_from(task, form_data)
            notes += form_notes
            if form is not None:
                forms[task_id] = form
    for task in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        for attr in ("class", "expression", "delegateExpression", "type", "topic"):
            if task.get(_cam(attr)):
                notes.append(note(task.get("id"), f"{attr}={task.get(_cam(attr))}: not mapped; a service task "
                                  f"runs the Baomi step registered under its id", False))
        if task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS) is None:
            _add_operator(task)
            notes.append(note(task.get("id"), f"calls the step baomi/{task.get('id')}", True))
    for expr in process.iter(f"{{{BPMN_NS}}}timeDuration"):
        text = (expr.text or "").strip()
        if ISO_DURATION.match(text):
            expr.text = f'"{text}"'
            notes.append(note(expr.getparent().getparent().get("id"), f"timer {text} → \"{text}\"", True))
    for condition in process.iter(f"{{{BPMN_NS}}}conditionExpression"):
        text = (condition.text or "").strip()
        if text.startswith("${") and text.endswith("}"):
            python = re.sub(r"!(?!=)", " not ", text[2:-1].replace("&&", " and ").replace("||", " or "))
            condition.text = re.sub(r"\s+", " ", python).strip()
            notes.append(note(condition.getparent().get("id"), f"{text} → {condition.text} (check it is Python)", True))
    notes += _unmapped_rest(process)
    if new_lanes and draw_lanes(root, process_id):
        notes.append(note(process_id, "the lanes are drawn in a pool; the tasks moved into their lanes", True))
    return notes, forms


HANDLED_ATTRS = {"userTask": {"candidateGroups", "assignee", "candidateUsers", "formKey"},
                 "serviceTask": {"class", "expression", "delegateExpression", "type", "topic"}}
HANDLED_ELEMENTS = {"formData", "formField", "validation", "constraint", "value"}


def _unmapped_rest(process) -> list[dict]:
    """Every other camunda:* attribute or extension element, named: Baomi has nothing it could become."""
    notes = []
    for el in process.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace == CAMUNDA_NS:
            if etree.QName(el).localname in HANDLED_ELEMENTS:
                continue
            owner = next((a for a in el.iterancestors() if etree.QName(a).namespace == BPMN_NS and a.get("id")), None)
            if owner is not None and etree.QName(el.getparent()).localname == "extensionElements":
                notes.append(note(owner.get("id"), f"camunda:{etree.QName(el).localname}: not mapped; "
                                  f"Baomi has no counterpart", False))
            continue
        for attr, value in el.attrib.items():
            name = etree.QName(attr)
            if name.namespace == CAMUNDA_NS and name.localname not in HANDLED_ATTRS.get(etree.QName(el).localname, ()):
                notes.append(note(el.get("id"), f"camunda:{name.localname}={value}: not mapped; Baomi has no "
                                  f"counterpart", False))
    return notes


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()).strip("_") or "field"


def _form_from(task, form_data) -> tuple[dict | None, list[dict]]:
    """camunda:formData → a Baomi form; each field that cannot be carried over is named."""
    task_id, fields, notes = task.get("id"), [], []
    for field in form_data.findall(f"{{{CAMUNDA_NS}}}formField"):
        raw_id, kind = field.get("id") or "", field.get("type") or "string"
        label = field.get("label") or raw_id
        if kind not in FIELD_TYPES:
            notes.append(note(task_id, f"form field {raw_id} of type {kind}: not mapped (Baomi's types are "
                              f"{', '.join(sorted(set(FIELD_TYPES.values())))})", False))
            continue
        out = {"name": _snake(raw_id), "type": FIELD_TYPES[kind], "label": {"zh_CN": label, "en": label},
               "required": any(c.get("name") == "required" for c in field.iter(f"{{{CAMUNDA_NS}}}constraint"))}
        if kind == "enum":
            out["choices"] = [{"value": v.get("id"), "zh_CN": v.get("name") or v.get("id"), "en": v.get("name") or v.get("id")}
                              for v in field.findall(f"{{{CAMUNDA_NS}}}value")]
        if out["name"] != raw_id:
            notes.append(note(task_id, f"form field {raw_id} → {out['name']}", True))
        fields.append(out)
    if not fields:
        return None, notes
    name = task.get("name") or task_id
    notes.append(note(task_id, f"camunda:formData → the task's form ({len(fields)} fields; labels to translate)", True))
    return {"title": {"zh_CN": name, "en": name}, "kind": "work", "fields": fields}, notes


def _move_to_lane(process, task_id: str, role: str) -> str:
    """Put a task into the lane named after `role`, creating the lane if needed; returns the lane's id."""
    for ref in process.iter(f"{{{BPMN_NS}}}flowNodeRef"):
        if (ref.text or "").strip() == task_id:
            ref.getparent().remove(ref)
    lane_set = process.find("bpmn:laneSet", NS)
    if lane_set is None:
        lane_set = etree.Element(f"{{{BPMN_NS}}}laneSet", id=f"{process.get('id')}_lanes")
        process.insert(0, lane_set)
    lane = next((found for found in lane_set.findall("bpmn:lane", NS) if found.get("name") == role), None)
    if lane is None:
        lane = etree.SubElement(lane_set, f"{{{BPMN_NS}}}lane", id=f"lane_{role}", name=role)
    etree.SubElement(lane, f"{{{BPMN_NS}}}flowNodeRef").text = task_id
    return lane.get("id")


def _add_operator(task) -> None:
    extensions = task.find("bpmn:extensionElements", NS)
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        task.insert(0, extensions)
    operator = etree.SubElement(extensions, f"{{{SPIFF_NS}}}serviceTaskOperator", id=f"baomi/{task.get('id')}",
                                resultVariable=f"{task.get('id')}_result")
    etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")


# --- drawing the lanes ----------------------------------------------------------------------------------

def _bounds(shape) -> list[float] | None:
    found = shape.find(f"{{{DC_NS}}}Bounds")
    return None if found is None else [float(found.get(k)) for k in ("x", "y", "width", "height")]


def _set_bounds(shape, x, y, width, height) -> None:
    found = shape.find(f"{{{DC_NS}}}Bounds")
    if found is None:
        found = etree.SubElement(shape, f"{{{DC_NS}}}Bounds")
    for key, value in (("x", x), ("y", y), ("width", width), ("height", height)):
        found.set(key, str(round(value)))


def _plane_of(root, process_id: str):
    """(the BPMNPlane drawing `process_id`, the participant holding it or None): a pool is made if needed."""
    participant = next((p for p in root.iter(f"{{{BPMN_NS}}}participant") if p.get("processRef") == process_id), None)
    planes = list(root.iter(f"{{{DI_NS}}}BPMNPlane"))
    if participant is not None:
        collaboration = participant.getparent().get("id")
        plane = next((p for p in planes if p.get("bpmnElement") == collaboration), None)
        return plane, participant
    plane = next((p for p in planes if p.get("bpmnElement") == process_id), None)
    if plane is None:
        return None, None
    # Lanes live in a pool: wrap the process in a collaboration with one participant, as bpmn-js does.
    process = next(p for p in root.findall("bpmn:process", NS) if p.get("id") == process_id)
    collaboration = etree.Element(f"{{{BPMN_NS}}}collaboration", id=f"{process_id}_collaboration")
    participant = etree.SubElement(collaboration, f"{{{BPMN_NS}}}participant", id=f"{process_id}_pool",
                                   name=process.get("name") or process_id, processRef=process_id)
    process.addprevious(collaboration)
    plane.set("bpmnElement", collaboration.get("id"))
    return plane, participant


def draw_lanes(root, process_id: str) -> bool:
    """Give the pool and every lane of `process_id` a shape: one band per lane, in the order its first task
    comes, sized around the tasks in it (moved down or up into their band, keeping their places relative to
    each other). A node in no lane is drawn in the band of the lane it follows (it stays in no lane).
    Returns False when the file has no diagram to draw on."""
    plane, participant = _plane_of(root, process_id)
    if plane is None:
        return False
    process = next(p for p in root.findall("bpmn:process", NS) if p.get("id") == process_id)
    shapes = {s.get("bpmnElement"): s for s in plane.findall(f"{{{DI_NS}}}BPMNShape")}
    lanes = list(process.iter(f"{{{BPMN_NS}}}lane"))
    nodes = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id") in shapes
             and etree.QName(el).localname not in ("process", "lane", "laneSet")}
    boxes = {k: b for k, b in ((k, _bounds(shapes[k])) for k in nodes) if b is not None}
    if not boxes:
        return False
    band_of = {(ref.text or "").strip(): lane.get("id") for lane in lanes
               for ref in lane.findall("bpmn:flowNodeRef", NS)}
    hosts = {k: el.get("attachedToRef") for k, el in nodes.items() if el.get("attachedToRef")}
    _place_the_rest(process, boxes, band_of, hosts, lanes)
    ordered = sorted({band_of[k] for k in boxes if k in band_of},
                     key=lambda lane_id: min(boxes[k][0] for k in boxes if band_of.get(k) == lane_id))
    ordered += [lane.get("id") for lane in lanes if lane.get("id") not in ordered]  # lanes with nothing drawn
    left = min(b[0] for b in boxes.values()) - POOL_LABEL - LANE_LABEL - 20
    right = max(b[0] + b[2] for b in boxes.values()) + 40
    top = min(b[1] for b in boxes.values()) - 40
    band_top, bands, moves = top, [], {}
    for lane_id in ordered:
        members = [k for k in boxes if band_of.get(k) == lane_id]
        low = min((boxes[k][1] for k in members), default=0)
        high = max((boxes[k][1] + boxes[k][3] for k in members), default=0)
        height = max(LANE_HEIGHT, high - low + 80)
        for k in members:
            moves[k] = band_top + (height - (high - low)) / 2 - low
        bands.append((lane_id, band_top, height))
        band_top += height
    for node_id, dy in moves.items():
        x, y, w, h = boxes[node_id]
        boxes[node_id] = [x, y + dy, w, h]
        _set_bounds(shapes[node_id], x, y + dy, w, h)
        label = shapes[node_id].find(f"{{{DI_NS}}}BPMNLabel")
        if label is not None and _bounds(label):
            lx, ly, lw, lh = _bounds(label)
            _set_bounds(label, lx, ly + dy, lw, lh)
    pool = shapes.get(participant.get("id"))
    if pool is None:
        pool = etree.Element(f"{{{DI_NS}}}BPMNShape", id=f"{participant.get('id')}_di",
                             bpmnElement=participant.get("id"), isHorizontal="true")
        plane.insert(0, pool)
    _set_bounds(pool, left, top, right - left, band_top - top)
    after = pool
    for lane_id, y, height in bands:
        shape = shapes.get(lane_id)
        if shape is None:
            shape = etree.Element(f"{{{DI_NS}}}BPMNShape", id=f"{lane_id}_di", bpmnElement=lane_id, isHorizontal="true")
            after.addnext(shape)
            after = shape  # keep the lanes in their order, right after the pool
        _set_bounds(shape, left + POOL_LABEL, y, right - left - POOL_LABEL, height)
    _reroute(plane, process, boxes, {k for k, dy in moves.items() if dy})
    return True


def _place_the_rest(process, boxes: dict, band_of: dict, hosts: dict, lanes: list) -> None:
    """Choose a band for each drawn node in no lane: its host's (a boundary event), else that of the node
    before it, else of the node after it, else the first lane's. Only the drawing uses this."""
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        before.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
        after.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))

    def walk(start: str, links: dict) -> str | None:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop(0)
            if node in seen:
                continue
            seen.add(node)
            if node != start and node in band_of:
                return band_of[node]
            todo += links.get(hosts.get(node, node), []) + ([hosts[node]] if node in hosts else [])
        return None

    for node_id in [k for k in boxes if k not in band_of]:
        band_of[node_id] = (band_of.get(hosts.get(node_id)) or walk(node_id, before) or walk(node_id, after)
                            or (lanes[0].get("id") if lanes else None))


def _reroute(plane, process, boxes: dict, moved: set[str]) -> None:
    """Flows touching a moved node get a fresh orthogonal route: right side out, left side in."""
    flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    for edge in plane.findall(f"{{{DI_NS}}}BPMNEdge"):
        flow = flows.get(edge.get("bpmnElement"))
        if flow is None or not ({flow.get("sourceRef"), flow.get("targetRef")} & moved):
            continue
        source, target = boxes.get(flow.get("sourceRef")), boxes.get(flow.get("targetRef"))
        if source is None or target is None:
            continue
        for child in list(edge):
            edge.remove(child)  # old waypoints and the label's old place (bpmn-js places it again)
        sx, sy = source[0] + source[2], source[1] + source[3] / 2
        tx, ty = target[0], target[1] + target[3] / 2
        if abs(sy - ty) < 1:
            points = [(sx, sy), (tx, ty)]
        elif tx > sx:
            mid = (sx + tx) / 2
            points = [(sx, sy), (mid, sy), (mid, ty), (tx, ty)]
        else:  # a flow going back: out of the bottom, along underneath, into the bottom
            sx, sy = source[0] + source[2] / 2, source[1] + source[3]
            tx, ty = target[0] + target[2] / 2, target[1] + target[3]
            low = max(sy, ty) + 30
            points = [(sx, sy), (sx, low), (tx, low), (tx, ty)]
        for x, y in points:
            etree.SubElement(edge, f"{{{OMG_DI_NS}}}waypoint", x=str(round(x)), y=str(round(y)))
