// Draws the case's BPMN and marks the steps done and the step it waits in.
(function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) { return; }
  window.baomiDiagram(el, (viewer) => {
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    const mark = (ids, cls) => ids.split(' ').filter(Boolean).forEach((id) => {
      if (registry.get(id)) { canvas.addMarker(id, cls); }
    });
    mark(el.dataset.done, 'highlight-done');
    mark(el.dataset.active, 'highlight-current');
  });
})();
