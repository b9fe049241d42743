// Shared by every read-only diagram: fetch the BPMN, show lane titles as role names in the page's
// language (a lane's name is a role key such as section_head), draw it, fit it with a small margin.
window.baomiDiagram = function baomiDiagram(el, onReady) {
  const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
  const PADDING_PX = 12;
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
      onReady(viewer);
      const canvas = viewer.get('canvas');
      canvas.zoom('fit-viewport', 'auto');
      const margin = 1 - (2 * PADDING_PX) / Math.min(el.clientWidth, el.clientHeight);
      canvas.zoom(canvas.viewbox().scale * margin);  // without a centre point: around the frame's centre
      el.dataset.rendered = 'true';
    })
    .catch((err) => { el.textContent = String(err); el.dataset.rendered = 'error'; });
};
