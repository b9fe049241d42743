// Draws a procedure's BPMN and marks the steps that enforce the article in question.
(function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) { return; }
  window.baomiDiagram(el, (viewer) => {
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    (el.dataset.marked || '').split(' ').filter(Boolean).forEach((id) => {
      if (registry.get(id)) { canvas.addMarker(id, 'highlight-current'); }
    });
  });
})();
