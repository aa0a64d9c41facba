'use strict';
// The event form and the report-first entry page (events/admin_entry.py):
// - each new row of a formset starts from the row before it (event, claimant, speaker, stance, subject;
//   an event's type, dates, place and sides); choosing another claimant brings back the speaker, stance
//   and subject of that claimant's last row on the page (or clears the speaker, who spoke for another);
// - what can be inferred (event type, date and geo precision, an end date) is filled in as the curator types
//   and marked "inferred"; a value the curator chooses is never overwritten;
// - a pasted report URL finds the report already entered, or its outlet by domain.
// Everything the server needs is still checked and inferred there: without this script the forms still work.
{
    let $ = null; // django.jQuery, looked up once the page's scripts have all run

    // Which fields a new row copies from the row before it, by formset prefix.
    const COPIED = {
        events: ['sub_event_type', 'event_type', 'date_start', 'date_end', 'location', 'side_a', 'side_b'],
        claims: ['event', 'new_events', 'claimant', 'speaker', 'stance', 'subject'],
    };
    const INFERRED = ['event_type', 'date_end', 'date_precision', 'geo_precision'];
    const INPUTS = ['sub_event_type', 'location', 'date_start', 'date_end'];
    let applying = false; // true while this script sets a value, so that it is not taken for the curator's

    function field(row, name) {
        return row.querySelector(`[name="${row.dataset.prefix}${name}"]`);
    }

    function setSelect2(select, id, text) {
        Array.from(select.options).forEach((option) => { if (option.value) option.remove(); });
        select.append(new Option(text, id, true, true));
    }

    function setValue(input, value, text) {
        applying = true;
        if (input.classList.contains('admin-autocomplete')) {
            setSelect2(input, value, text);
            if ($) $(input).trigger('change');
        } else {
            input.value = value;
            input.dispatchEvent(new Event('change', {bubbles: true}));
        }
        applying = false;
    }

    function copyValue(previous, row, name) {
        const from = field(previous, name);
        const to = field(row, name);
        if (!from || !to) return;
        if (from.type === 'checkbox') {
            const checked = new Set(Array.from(previous.querySelectorAll(`[name="${previous.dataset.prefix}${name}"]:checked`), (box) => box.value));
            row.querySelectorAll(`[name="${row.dataset.prefix}${name}"]`).forEach((box) => { box.checked = checked.has(box.value); });
            return;
        }
        if (from.classList.contains('admin-autocomplete')) {
            const chosen = from.selectedOptions[0];
            if (chosen && chosen.value) setSelect2(to, chosen.value, chosen.text);
        } else {
            to.value = from.value;
        }
        if (from.dataset.inferred) to.dataset.inferred = from.dataset.inferred;
    }

    // --- rows -------------------------------------------------------------------------------------------

    function addRow(prefix) {
        const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
        const rows = document.getElementById(`${prefix}-rows`);
        const index = parseInt(total.value, 10);
        const html = document.getElementById(`${prefix}-empty`).innerHTML
            .replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
        const previous = rows.lastElementChild;
        rows.insertAdjacentHTML('beforeend', html);
        const row = rows.lastElementChild;
        total.value = String(index + 1);
        if (prefix === 'events') refreshNewEvents();
        if (previous) {
            (COPIED[prefix] || []).forEach((name) => copyValue(previous, row, name));
        }
        // The admin's autocomplete.js turns the new row's selects into autocompletes on this event.
        row.dispatchEvent(new CustomEvent('formset:added', {bubbles: true, detail: {formsetName: prefix}}));
        const first = row.querySelector('input[type=text], textarea');
        if (first) first.focus();
    }

    // Each claim names the new events it is about by number; a box per event entered above, its summary
    // as the box's tooltip.
    function fillNewEvents(holder, summaries) {
        const name = holder.id.replace(/^id_/, '');
        const checked = new Set(Array.from(holder.querySelectorAll('input:checked'), (box) => box.value));
        holder.replaceChildren(...summaries.map((summary, i) => {
            const value = String(i + 1);
            const item = document.createElement('div');
            const label = document.createElement('label');
            const box = document.createElement('input');
            Object.assign(box, {type: 'checkbox', name, value, id: `${holder.id}_${i}`, checked: checked.has(value)});
            label.htmlFor = box.id;
            label.title = summary;
            label.append(box, ` ${value}`);
            item.append(label);
            return item;
        }));
    }

    function refreshNewEvents() {
        const rows = document.getElementById('events-rows');
        if (!rows) return;
        const summaries = Array.from(rows.children, (row) => {
            const summary = field(row, 'summary');
            return summary && summary.value ? summary.value : `New event`;
        });
        document.querySelectorAll('#claims-rows div[id$="-new_events"]').forEach((holder) => fillNewEvents(holder, summaries));
        const template = document.getElementById('claims-empty');
        const empty = template && template.content.querySelector('div[id$="-new_events"]');
        if (empty) fillNewEvents(empty, summaries);
    }

    // --- inference ------------------------------------------------------------------------------------

    function isAuto(input) {
        return input && (!input.value || input.dataset.inferred === '1');
    }

    function mark(input, inferred) {
        input.dataset.inferred = inferred ? '1' : '';
        const holder = input.closest('.entry-field, .fieldBox, .form-row') || input.parentElement;
        if (holder) holder.classList.toggle('inferred', inferred);
    }

    async function infer(row, scope, onLoad) {
        const params = new URLSearchParams();
        INPUTS.forEach((name) => {
            const input = field(row, name);
            if (input && input.value) params.set(name, input.value);
        });
        const endInput = field(row, 'date_end');
        const start = field(row, 'date_start');
        if (endInput && start && start.value && isAuto(endInput) && !onLoad) {
            params.set('date_end', start.value);
            if (endInput.type === 'date') {
                // A date picker is edited part by part: filling it in cannot garble what is typed next.
                setValue(endInput, start.value);
                mark(endInput, true);
            } else {
                // A text field may be the one being typed into: show the end date it will take, as a hint.
                endInput.placeholder = start.value;
            }
        }
        if (!params.toString()) return; // nothing to infer from yet
        const response = await fetch(`${scope.dataset.inferUrl}?${params}`, {credentials: 'same-origin'});
        if (!response.ok) return;
        const answer = await response.json();
        const wanted = {
            event_type: answer.event_type ? String(answer.event_type.id) : '',
            date_precision: answer.date_precision ? String(answer.date_precision) : '',
            geo_precision: answer.geo_precision ? String(answer.geo_precision) : '',
        };
        Object.entries(wanted).forEach(([name, value]) => {
            const input = field(row, name);
            if (!input || !value) return;
            if (onLoad) {
                // On an existing event, a value equal to what would be inferred follows its inputs from now on.
                if (input.value === value) mark(input, true);
                else if (input.value) return;
            }
            if (!isAuto(input)) return;
            if (input.value !== value) setValue(input, value, answer.event_type ? answer.event_type.text : value);
            mark(input, true);
        });
    }

    function watchInference(scope) {
        const rows = () => (scope.querySelector('.infer-row') ? scope.querySelectorAll('.infer-row') : [scope]);
        if (!scope.dataset.prefix && !scope.querySelector('.infer-row')) scope.dataset.prefix = '';
        const onChange = (event) => {
            if (applying) return;
            const target = event.target;
            const row = target.closest('.infer-row') || scope;
            const name = target.name.slice((row.dataset.prefix || '').length);
            if (INFERRED.includes(name)) mark(target, false); // the curator's own choice, kept from now on
            if (INPUTS.includes(name)) infer(row, scope, false);
        };
        // select2 reports changes through jQuery, which native listeners do not hear.
        if ($) $(scope).on('change', 'select, input', onChange);
        else scope.addEventListener('change', onChange);
        rows().forEach((row) => {
            if (field(row, 'sub_event_type') && (field(row, 'sub_event_type').value || field(row, 'location').value)) {
                infer(row, scope, true);
            }
        });
    }

    // --- a claimant's last words on the page ----------------------------------------------------------

    const SAID = ['speaker', 'stance', 'subject'];

    function claimantChanged(event) {
        if (applying) return;
        const row = event.target.closest('.entry-row');
        const claimant = event.target.value;
        let last = null;
        for (let other = row.previousElementSibling; other; other = other.previousElementSibling) {
            const theirs = field(other, 'claimant');
            if (theirs && claimant && theirs.value === claimant) { last = other; break; }
        }
        applying = true;
        if (last) {
            SAID.forEach((name) => copyValue(last, row, name));
        } else {
            const speaker = field(row, 'speaker');
            Array.from(speaker.options).forEach((option) => { if (option.value) option.remove(); });
        }
        if ($) $(field(row, 'speaker')).trigger('change');
        applying = false;
    }

    // --- a pasted report URL ----------------------------------------------------------------------------

    async function recogniseUrl(form, input) {
        const note = document.getElementById('entry-url-note');
        if (!input.value) { note.textContent = ''; return; }
        const response = await fetch(`${form.dataset.reportUrl}?${new URLSearchParams({url: input.value})}`,
            {credentials: 'same-origin'});
        if (!response.ok) { note.textContent = ''; return; }
        const answer = await response.json();
        const report = document.getElementById('id_report-report');
        const source = document.getElementById('id_report-source');
        if (answer.report) {
            setValue(report, String(answer.report.id), answer.report.text);
            note.textContent = 'Already entered: the claims below are added to this report.';
        } else if (answer.source) {
            if (isAuto(source)) { setValue(source, String(answer.source.id), answer.source.text); mark(source, true); }
            note.textContent = `Outlet recognised: ${answer.source.text}.`;
        } else {
            note.textContent = 'No outlet is known for this domain: choose it below.';
        }
    }

    function init() {
        $ = (window.django && window.django.jQuery) || null;
        document.querySelectorAll('button.entry-add').forEach((button) => {
            button.addEventListener('click', () => addRow(button.dataset.formset));
        });
        document.querySelectorAll('[data-infer-url]').forEach(watchInference);
        const form = document.getElementById('entry-form');
        if (form) {
            const url = document.getElementById('id_report-url');
            if (url) url.addEventListener('change', () => recogniseUrl(form, url));
            form.addEventListener('input', (event) => {
                if (event.target.name && event.target.name.endsWith('-summary')) refreshNewEvents();
            });
            form.addEventListener('change', (event) => {
                if (event.target.name && event.target.name.endsWith('-DELETE')) {
                    event.target.closest('.entry-row').classList.toggle('removed', event.target.checked);
                }
            });
            refreshNewEvents();
            const claims = document.getElementById('claims-rows');
            if (claims && $) $(claims).on('change', 'select[name$="-claimant"]', claimantChanged);
        }
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
    else init();
}
