// Draws the case's BPMN with bpmn-js and marks where the case stands.
(function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) { return; }
  const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
  const PADDING_PX = 12;

  // A lane's name is a role key (employee, section_head...): show the role's name in the page's language.
  const laneLabels = JSON.parse(el.dataset.laneLabels || '{}');
  const relabelLanes = (xml) => {
    if (!Object.keys(laneLabels).length) { return xml; }
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) { return xml; }
    Array.from(doc.getElementsByTagNameNS(BPMN_NS, 'lane')).forEach((lane) => {
      const label = laneLabels[lane.getAttribute('name')];
      if (label) { lane.setAttribute('name', label); }
    });
    return new XMLSerializer().serializeToString(doc);
  };

  const viewer = new window.BpmnJS({ container: el });
  fetch(el.dataset.src, { credentials: 'same-origin' })
    .then((response) => {
      if (!response.ok) { throw new Error(`${response.status} ${response.statusText}`); }
      return response.text();
    })
    .then((xml) => viewer.importXML(relabelLanes(xml)))
    .then(() => {
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      const mark = (ids, cls) => ids.split(' ').filter(Boolean).forEach((id) => {
        if (registry.get(id)) { canvas.addMarker(id, cls); }
      });
      mark(el.dataset.done, 'highlight-done');
      mark(el.dataset.active, 'highlight-current');
      // Fit the whole process, centred, with a little room so the pool's border does not touch the frame.
      canvas.zoom('fit-viewport', 'auto');
      const margin = 1 - (2 * PADDING_PX) / Math.min(el.clientWidth, el.clientHeight);
      canvas.zoom(canvas.viewbox().scale * margin);  // without a centre point: around the frame's centre
      el.dataset.rendered = 'true';
    })
    .catch((err) => { el.textContent = String(err); el.dataset.rendered = 'error'; });
})();
