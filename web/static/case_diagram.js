// Draws the case's BPMN with bpmn-js and marks where the case stands.
(function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) { return; }
  const viewer = new window.BpmnJS({ container: el });
  fetch(el.dataset.src, { credentials: 'same-origin' })
    .then((response) => response.text())
    .then((xml) => viewer.importXML(xml))
    .then(() => {
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      const mark = (ids, cls) => ids.split(' ').filter(Boolean).forEach((id) => {
        if (registry.get(id)) { canvas.addMarker(id, cls); }
      });
      mark(el.dataset.done, 'highlight-done');
      mark(el.dataset.active, 'highlight-current');
      canvas.zoom('fit-viewport');
      el.dataset.rendered = 'true';
    })
    .catch((err) => { el.textContent = String(err); el.dataset.rendered = 'error'; });
})();
