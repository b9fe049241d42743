// Colours each user task of a diagram by its median waiting time, with the hours written on it.
(function () {
  document.querySelectorAll('.heatmap').forEach((el) => {
    const waits = JSON.parse(el.dataset.waits || '{}');
    const longest = Math.max(1e-9, ...Object.values(waits).map((w) => w.median_hours || 0));
    window.baomiDiagram(el, (viewer) => {
      const overlays = viewer.get('overlays');
      const registry = viewer.get('elementRegistry');
      Object.entries(waits).forEach(([id, wait]) => {
        const shape = registry.get(id);
        if (!shape) { return; }
        const share = (wait.median_hours || 0) / longest;
        const box = document.createElement('div');
        box.className = 'heat';
        box.style.cssText = `width:${shape.width}px;height:${shape.height}px;border-radius:10px;` +
          `background:rgba(200,30,30,${0.15 + 0.6 * share});color:#000;font-size:11px;` +
          'display:flex;align-items:flex-end;justify-content:center;pointer-events:none';
        box.textContent = `${(wait.median_hours || 0).toFixed(1)} h · n=${wait.count}`;
        overlays.add(id, { position: { top: 0, left: 0 }, html: box });
      });
    });
  });
})();
