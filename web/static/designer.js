// The process designer page: the bpmn-js modeler, a small properties panel of our own for Baomi's settings
// (lane role, due time, escalation, articles, the user task's form), and the calls to save a draft,
// validate, publish, import, diff and roll back. Everything the page needs comes from data- attributes,
// so no inline script is needed (the CSP forbids them).
(function designerPage() {
  'use strict';
  const root = document.getElementById('designer');
  if (!root) { return; }
  const SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  const api = root.dataset.api;
  const csrf = root.dataset.csrf;
  const roles = JSON.parse(root.dataset.roles);
  const t = JSON.parse(root.dataset.strings);
  const FIELD_TYPES = ['string', 'text', 'date', 'boolean', 'integer', 'choice', 'decision'];
  // Baomi's settings on an element, stored as spiffworkflow:property name/value pairs (see processes/*.bpmn).
  const TASK_PROPERTIES = ['due', 'escalation_role', 'escalate_after', 'articles'];

  const modeler = new window.BpmnJS({ container: '#canvas' });
  root.bpmnModeler = modeler;  // reachable from the browser tests and the console, not a global
  const modeling = modeler.get('modeling');
  const moddle = modeler.get('moddle');
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  const registry = modeler.get('elementRegistry');
  let forms = {};          // forms edited here, by task id: published with the BPMN
  const shownForms = {};   // forms opened here but not (yet) edited: published files stay as they are

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== undefined && v !== null) { node.setAttribute(k, v); } });
    if (text !== undefined) { node.textContent = text; }
    return node;
  };
  const status = (text, kind) => { const s = $('status'); s.textContent = text; s.className = `small mb-2 text-${kind || 'muted'}`; };

  function call(method, path, body, isForm) {
    const headers = { 'X-CSRFToken': csrf };
    if (!isForm && body !== undefined) { headers['Content-Type'] = 'application/json'; }
    return fetch(api + path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : (isForm ? body : JSON.stringify(body)) })
      .then((r) => r.json().then((json) => ({ ok: r.ok, status: r.status, json })));
  }

  // --- problems on the diagram ---------------------------------------------------------------------
  function showProblems(problems) {
    overlays.remove({ type: 'problem' });
    // By element, not by id: an element renamed since the last check keeps its marker otherwise.
    registry.forEach((element) => canvas.removeMarker(element, 'has-problem'));
    const list = $('problems');
    list.textContent = '';
    const byElement = {};
    (problems || []).forEach((p) => {
      const item = el('li', { class: 'list-group-item list-group-item-danger py-1', 'data-element': p.element_id || '' },
        (p.element_id ? `${p.element_id}: ` : '') + p.message);
      list.appendChild(item);
      if (p.element_id && registry.get(p.element_id)) {
        item.addEventListener('click', () => { canvas.scrollToElement(registry.get(p.element_id)); });
        (byElement[p.element_id] = byElement[p.element_id] || []).push(p.message);
      }
    });
    // One badge per element (its first problem, and how many more): stacked badges would hide each other.
    Object.entries(byElement).forEach(([id, messages]) => {
      canvas.addMarker(id, 'has-problem');
      const more = messages.length > 1 ? ` (+${messages.length - 1})` : '';
      overlays.add(id, 'problem', { position: { top: -14, left: 0 },
        html: el('span', { class: 'problem-badge', title: messages.join('\n') }, messages[0] + more) });
    });
    $('problems').dataset.count = String((problems || []).length);
  }

  function report(result, okText) {
    const problems = result.json.problems || [];
    showProblems(problems);
    if (!result.ok) { status(result.json.error || t.failed, 'danger'); return false; }
    status(problems.length ? `${t.problems} ${problems.length}` : okText, problems.length ? 'warning' : 'success');
    return true;
  }

  // --- Baomi's properties on an element ------------------------------------------------------------
  function propertiesOf(bo) {
    const ext = bo.extensionElements;
    const container = ext && (ext.values || []).find((v) => v.$type === 'spiffworkflow:properties');
    const out = {};
    ((container && container.$children) || []).forEach((p) => { out[p.name] = p.value; });
    return out;
  }

  function setProperty(element, name, value) {
    const bo = element.businessObject;
    const props = propertiesOf(bo);
    if (value) { props[name] = value; } else { delete props[name]; }
    const ext = bo.extensionElements || moddle.create('bpmn:ExtensionElements', { values: [] });
    const others = (ext.values || []).filter((v) => v.$type !== 'spiffworkflow:properties');
    const names = Object.keys(props);
    if (names.length) {
      const container = moddle.createAny('spiffworkflow:properties', SPIFF_NS, {});
      container.$children = names.map((n) => moddle.createAny('spiffworkflow:property', SPIFF_NS, { name: n, value: props[n] }));
      others.push(container);
    }
    ext.values = others;
    modeling.updateProperties(element, { extensionElements: ext });
  }

  // A field of the panel: `key` is the property's own name (the element id `prop-<key>` keeps it); the label
  // and the short help come translated from the page (t.props), the raw key stays visible as a hint.
  function input(key, value, onChange, options) {
    const group = el('div', { class: 'mb-2' });
    const id = `prop-${key.replace(/\W/g, '_')}`;
    const text = (t.props || {})[key] || { label: key, help: '' };
    const label = el('label', { class: 'form-label mb-0', for: id }, text.label);
    if (text.label !== key) { label.appendChild(el('code', { class: 'ms-1 prop-key' }, key.replace(' ', '.'))); }
    group.appendChild(label);
    let field;
    if (options) {
      field = el('select', { class: 'form-select form-select-sm', id });
      field.appendChild(el('option', { value: '' }, '—'));
      options.forEach((o) => { const opt = el('option', { value: o.key }, `${o.name} (${o.key})`); if (o.key === value) { opt.selected = true; } field.appendChild(opt); });
    } else {
      field = el('input', { class: 'form-control form-control-sm', id, value: value || '' });
    }
    field.addEventListener('change', () => onChange(field.value.trim()));
    group.appendChild(field);
    if (text.help) {
      field.setAttribute('aria-describedby', `${id}-help`);
      group.appendChild(el('div', { class: 'form-text prop-help', id: `${id}-help` }, text.help));
    }
    return group;
  }

  function showPanel(element) {
    const panel = $('properties');
    panel.textContent = '';
    $('form-editor').classList.add('d-none');
    if (!element || element.type === 'bpmn:Process' || element.type === 'label') {
      panel.appendChild(el('p', { class: 'text-muted' }, t.noSelection));
      return;
    }
    const bo = element.businessObject;
    panel.appendChild(el('div', { class: 'fw-semibold mb-2', id: 'panel-type' }, element.type.replace('bpmn:', '')));
    if (element.type === 'bpmn:Lane') {
      panel.appendChild(input('role', bo.name, (v) => modeling.updateProperties(element, { name: v }), roles));
      return;
    }
    panel.appendChild(input('id', bo.id, (v) => { if (v && !registry.get(v)) { modeling.updateProperties(element, { id: v }); showPanel(element); } }));
    panel.appendChild(input('name', bo.name, (v) => modeling.updateProperties(element, { name: v })));
    if (element.type === 'bpmn:SequenceFlow' || element.type === 'bpmn:Participant') { return; }
    const props = propertiesOf(bo);
    const names = element.type === 'bpmn:UserTask' ? TASK_PROPERTIES : ['articles'];
    names.forEach((name) => {
      panel.appendChild(input(name, props[name], (v) => setProperty(element, name, v), name === 'escalation_role' ? roles : null));
    });
    const timer = (bo.eventDefinitions || []).find((d) => d.$type === 'bpmn:TimerEventDefinition');
    if (timer) {
      // SpiffWorkflow evaluates this as Python: a duration is written "PT1H" with its quotes.
      const kind = ['timeDuration', 'timeDate', 'timeCycle'].find((k) => timer[k]) || 'timeDuration';
      panel.appendChild(input(`timer ${kind}`, timer[kind] ? timer[kind].body : '', (v) => {
        modeling.updateModdleProperties(element, timer, { [kind]: moddle.create('bpmn:FormalExpression', { body: v }) });
      }));
    }
    if (element.type === 'bpmn:UserTask') { openForm(bo.id); }
  }

  // --- the form editor with its live preview -------------------------------------------------------
  let formTask = null;

  function openForm(taskId) {
    formTask = taskId;
    $('form-task').textContent = taskId;
    $('form-editor').classList.remove('d-none');
    if (forms[taskId] || shownForms[taskId]) { renderForm(); return; }
    call('GET', `/forms/${encodeURIComponent(taskId)}`).then((r) => {
      shownForms[taskId] = (r.json && r.json.form) || { title: { zh_CN: '', en: '' }, kind: 'work', fields: [] };
      if (formTask === taskId) { renderForm(); }
    });
  }

  const formOf = (taskId) => forms[taskId] || shownForms[taskId];
  // The first edit makes a form part of what is published with the BPMN.
  const edited = () => { forms[formTask] = formOf(formTask); return forms[formTask]; };

  function renderForm() {
    const form = formOf(formTask);
    $('form-title-zh').value = (form.title || {}).zh_CN || '';
    $('form-title-en').value = (form.title || {}).en || '';
    $('form-kind').value = form.kind || 'work';
    const body = $('form-fields').querySelector('tbody');
    body.textContent = '';
    form.fields.forEach((f, i) => {
      const row = el('tr', { 'data-index': String(i) });
      const cell = (node) => { const td = el('td'); td.appendChild(node); row.appendChild(td); return node; };
      const name = cell(el('input', { class: 'form-control form-control-sm field-name', value: f.name || '' }));
      const type = cell(el('select', { class: 'form-select form-select-sm field-type' }));
      FIELD_TYPES.concat(FIELD_TYPES.includes(f.type) ? [] : [f.type]).forEach((ty) => {
        const o = el('option', { value: ty }, ty); if (ty === f.type) { o.selected = true; } type.appendChild(o);
      });
      const zh = cell(el('input', { class: 'form-control form-control-sm field-zh', value: (f.label || {}).zh_CN || '' }));
      const en = cell(el('input', { class: 'form-control form-control-sm field-en', value: (f.label || {}).en || '' }));
      // decision: approve, reject, send_back …; choice: value:中文:English, …
      const choices = cell(el('input', { class: 'form-control form-control-sm field-choices',
        value: (f.choices || []).map((c) => (typeof c === 'string' ? c : `${c.value}:${c.zh_CN}:${c.en}`)).join(', ') }));
      const req = cell(el('input', { type: 'checkbox', class: 'form-check-input field-required' }));
      req.checked = !!f.required;
      const remove = cell(el('button', { class: 'btn btn-sm btn-link text-danger p-0', type: 'button' }, '✕'));
      const update = () => {
        f.name = name.value.trim(); f.type = type.value; f.required = req.checked;
        f.label = { zh_CN: zh.value, en: en.value };
        const parts = choices.value.split(',').map((c) => c.trim()).filter(Boolean);
        if (f.type === 'decision') { f.choices = parts.length ? parts : ['approve', 'reject']; }
        else if (f.type === 'choice') {
          f.choices = parts.map((c) => { const [value, zhCN, english] = c.split(':'); return { value, zh_CN: zhCN || value, en: english || value }; });
        } else { delete f.choices; }
        edited();
        renderPreview();
      };
      [name, type, zh, en, choices, req].forEach((n) => n.addEventListener('input', update));
      type.addEventListener('change', update);
      remove.addEventListener('click', () => { edited().fields.splice(i, 1); renderForm(); });
      body.appendChild(row);
    });
    renderPreview();
  }

  function renderPreview() {
    const form = formOf(formTask);
    const preview = $('form-preview');
    preview.textContent = '';
    const english = document.documentElement.lang === 'en';
    preview.appendChild(el('div', { class: 'fw-semibold mb-2' }, (english ? form.title.en : form.title.zh_CN) || formTask));
    const problems = [];
    const seen = new Set();
    form.fields.forEach((f) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(f.name || '')) { problems.push(`${f.name || '?'}: a-z, 0-9, _`); }
      if (seen.has(f.name)) { problems.push(`${f.name} ×2`); }
      seen.add(f.name);
      const label = ((english ? (f.label || {}).en : (f.label || {}).zh_CN) || f.name) + (f.required ? ' *' : '');
      const group = el('div', { class: 'mb-2' });
      if (f.type === 'boolean') {
        group.appendChild(el('input', { type: 'checkbox', class: 'form-check-input me-1', disabled: 'disabled' }));
        group.appendChild(el('span', {}, label));
      } else {
        group.appendChild(el('label', { class: 'form-label mb-0' }, label));
        let control;
        if (f.type === 'text') { control = el('textarea', { class: 'form-control form-control-sm', rows: '2' }); }
        else if (f.type === 'choice' || f.type === 'decision') {
          control = el('select', { class: 'form-select form-select-sm' });
          (f.choices || []).forEach((c) => control.appendChild(el('option', {}, typeof c === 'string' ? c : (english ? c.en : c.zh_CN))));
        } else { control = el('input', { class: 'form-control form-control-sm', type: f.type === 'date' ? 'date' : (f.type === 'integer' ? 'number' : 'text') }); }
        control.disabled = true;
        group.appendChild(control);
      }
      preview.appendChild(group);
    });
    if (!form.fields.length) { problems.push('—'); }
    const list = $('form-problems');
    list.textContent = '';
    problems.forEach((p) => list.appendChild(el('li', {}, p)));
  }

  ['form-title-zh', 'form-title-en', 'form-kind'].forEach((id) => $(id).addEventListener('input', () => {
    const form = edited();
    form.title = { zh_CN: $('form-title-zh').value, en: $('form-title-en').value };
    form.kind = $('form-kind').value;
    renderPreview();
  }));
  $('add-field').addEventListener('click', () => {
    edited().fields.push({ name: '', type: 'string', label: { zh_CN: '', en: '' }, required: false });
    renderForm();
  });

  // --- loading and the toolbar ---------------------------------------------------------------------
  function load(xml) {
    return modeler.importXML(xml).then(() => {
      canvas.zoom('fit-viewport', 'auto');
      canvas.zoom(canvas.viewbox().scale * 0.88, 'auto');
      canvas.scroll({ dx: 40, dy: 0 });  // clear of the palette on the left
      root.dataset.loaded = 'true';
    });
  }

  function current() {
    return modeler.saveXML({ format: true }).then(({ xml }) => ({ bpmn_xml: xml, forms }));
  }

  modeler.on('selection.changed', (e) => showPanel(e.newSelection[0]));

  call('GET', '/source').then((r) => {
    forms = r.json.forms || {};
    $('source-state').textContent = r.json.is_draft ? `(${t.draft})` : `(v${r.json.version})`;
    $('source-state').dataset.state = r.json.is_draft ? 'draft' : `v${r.json.version}`;
    return load(r.json.bpmn_xml);
  }).then(() => showPanel(null)).catch((err) => status(String(err), 'danger'));

  const nowDraft = () => { $('source-state').textContent = `(${t.draft})`; $('source-state').dataset.state = 'draft'; };
  $('save-draft').addEventListener('click', () => current().then((b) => call('POST', '/draft', b))
    .then((r) => { if (report(r, t.saved)) { nowDraft(); } }));
  $('validate').addEventListener('click', () => current().then((b) => call('POST', '/validate', b))
    .then((r) => report(r, t.valid)));
  $('publish').addEventListener('click', () => current().then((b) => call('POST', '/publish', b)).then((r) => {
    if (report(r, `${t.published} v${r.json.version}`)) {
      root.dataset.published = String(r.json.version);
      $('source-state').textContent = `(v${r.json.version})`;
      $('source-state').dataset.state = `v${r.json.version}`;
      forms = {};
    }
  }));
  $('import-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    if (!file) { return; }
    const data = new FormData();
    data.append('file', file);
    call('POST', '/import', data, true).then((r) => {
      if (!r.ok) { report(r); return; }
      forms = r.json.forms || {};  // the draft's forms, with those the import read (camunda:formData)
      load(r.json.bpmn_xml).then(() => {
        report(r, t.imported);
        nowDraft();
        const notes = $('problems');
        (r.json.notes || []).forEach((n) => notes.appendChild(el('li', {
          class: `list-group-item py-1 list-group-item-${n.mapped ? 'success' : 'warning'} import-note` }, `${n.element_id || ''}: ${n.what}`)));
      }).catch((err) => status(`${t.failed} ${err.message || err}`, 'danger'));
    });
    e.target.value = '';
  });
  document.querySelectorAll('.diff-btn').forEach((b) => b.addEventListener('click', () => {
    call('GET', `/diff?from=${b.dataset.from}&to=${b.dataset.to}`).then((r) => {
      const out = $('diff');
      out.textContent = '';
      out.appendChild(el('div', { class: 'fw-semibold' }, `v${b.dataset.from} → v${b.dataset.to}`));
      [['added', 'success'], ['removed', 'danger'], ['changed', 'warning']].forEach(([kind, colour]) => {
        r.json[kind].forEach((item) => out.appendChild(el('div', { class: `diff-${kind} text-${colour}` },
          `${kind === 'added' ? '+' : kind === 'removed' ? '−' : '~'} ${item.tag} ${item.id} ${item.name || ''}${item.what ? ` (${item.what.join(', ')})` : ''}`)));
      });
    });
  }));
  document.querySelectorAll('.republish-btn').forEach((b) => b.addEventListener('click', () => {
    call('POST', `/versions/${b.dataset.version}/republish`).then((r) => {
      if (report(r, `${t.published} v${r.json.version}`)) { root.dataset.published = String(r.json.version); }
    });
  }));
}());
