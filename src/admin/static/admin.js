// Progressive enhancement of the admin pages: every page works without it.
// No inline script anywhere (the pages' Content-Security-Policy forbids it): this file only.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  // Irreversible or destructive forms ask first.
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  }

  // Sync model form: one more period row on demand (the page always renders one blank row).
  const addPeriod = document.getElementById('add-period');
  const periods = document.querySelector('#periods tbody');
  if (addPeriod && periods) {
    addPeriod.hidden = false;
    addPeriod.addEventListener('click', () => {
      const rows = periods.querySelectorAll('tr.period-row');
      const last = rows[rows.length - 1];
      if (!last) return;
      const copy = last.cloneNode(true);
      const index = rows.length;
      for (const input of copy.querySelectorAll('input, select')) {
        input.name = input.name.replace(/^p\d+_/, `p${index}_`);
        if (input.type === 'checkbox') input.checked = false;
        else if (input.tagName === 'INPUT') input.value = '';
      }
      periods.appendChild(copy);
    });
  }

  // Live preview of the name expression: the sample folders renamed as you type.
  const expression = document.getElementById('nameExpression');
  const previewUrl = expression && expression.getAttribute('data-preview-url');
  const sample = document.querySelector('#preview-sample tbody');
  if (expression && previewUrl && sample) {
    let timer = null;
    let sent = 0;
    const errors = document.getElementById('preview-errors');
    const count = document.getElementById('preview-count');
    const today = document.getElementById('preview-today');
    const show = (data) => {
      sample.replaceChildren(...data.sample.map((s) => {
        const tr = document.createElement('tr');
        for (const [value, cls] of [[s.id, ''], [s.displayName, ''], [s.folderName, 'folder-name']]) {
          const td = document.createElement('td');
          td.textContent = String(value);
          if (cls) td.className = cls;
          tr.appendChild(td);
        }
        return tr;
      }));
      if (count) count.textContent = String(data.count);
      if (errors) {
        errors.replaceChildren(...data.errors.map((e) => {
          const li = document.createElement('li');
          li.className = 'text-error';
          li.textContent = e;
          return li;
        }));
      }
    };
    const refresh = async () => {
      const id = ++sent;
      const params = new URLSearchParams({ nameExpression: expression.value });
      if (today && today.value) params.set('today', today.value);
      try {
        const res = await fetch(`${previewUrl}?${params}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        const data = await res.json();
        if (id !== sent) return; // a newer keystroke's answer wins
        if (!res.ok) throw new Error((data && data.error && data.error.message) || `HTTP ${res.status}`);
        show(data);
        expression.removeAttribute('aria-invalid');
      } catch (err) {
        if (id !== sent || !errors) return;
        const li = document.createElement('li');
        li.className = 'text-error';
        li.textContent = `Preview failed: ${err.message}`;
        errors.replaceChildren(li);
      }
    };
    expression.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
  }
});
