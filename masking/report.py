"""The masking report page for privacy officers: one self-contained HTML file, charts as inline SVG.

It is rendered from the report JSON, which holds counts, score distributions and masked
examples only, so the page cannot show a raw value either.
"""

from __future__ import annotations

import html
import json

from masking.discovery import SCORE_BUCKETS

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;color:#1d2733;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5dbe3;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #e5e9ef;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f9}.ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}.warn{color:#9a6700;font-weight:600}
.pill{display:inline-block;border-radius:9px;padding:0 .5rem;margin:0 .2rem .2rem 0;background:#eef2f7;font-size:.8rem}
code{background:#f4f6f9;padding:0 .25rem;border-radius:3px}.muted{color:#5b6776;font-size:.85rem}
"""


def _e(value) -> str:
    return html.escape(str(value))


def bar_chart(values: dict[str, int], width: int = 420, bar: int = 18) -> str:
    """Horizontal bars, one per key, as inline SVG."""
    if not values:
        return '<span class="muted">none</span>'
    top = max(values.values()) or 1
    label_w = 150
    height = bar * len(values) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, n) in enumerate(values.items()):
        y = i * bar + 2
        w = max(1, int((width - label_w - 50) * n / top))
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{_e(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{bar - 6}" fill="#3b7dd8"/>'
                     f'<text x="{label_w + w + 4}" y="{y + 13}" font-size="12">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def score_chart(scores: dict[str, int]) -> str:
    """A tiny column chart of the score distribution (0.5-1.0 in five buckets)."""
    top = max(scores.values()) if scores else 0
    if not top:
        return ""
    w, h = 14, 28
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{len(SCORE_BUCKETS) * (w + 2)}" height="{h}" role="img">'
             f'<title>scores {", ".join(f"{b}: {scores.get(b, 0)}" for b in SCORE_BUCKETS)}</title>']
    for i, b in enumerate(SCORE_BUCKETS):
        v = int((h - 2) * scores.get(b, 0) / top)
        parts.append(f'<rect x="{i * (w + 2)}" y="{h - v}" width="{w}" height="{v}" fill="#6a9f3b"/>')
    parts.append("</svg>")
    return "".join(parts)


def _entities_cell(entities: dict) -> str:
    if not entities:
        return '<span class="muted">none</span>'
    return "".join(f'<div><span class="pill">{_e(e)} × {d["count"]}</span>{score_chart(d["scores"])}</div>'
                   for e, d in entities.items())


def render_html(report: dict) -> str:
    ds, batch = report.get("dataset"), report.get("batch_id")
    out = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>Masking report {_e(ds)} {_e(batch)}</title>"
           f"<style>{_CSS}</style></head><body>",
           f"<h1>Masking report: <code>{_e(ds)}</code> batch <code>{_e(batch)}</code></h1>",
           f"<p class='muted'>generated {_e(report.get('generated_at'))} · sharing domain "
           f"<code>{_e(report.get('pseudonym_domain'))}</code> · key version <code>{_e(report.get('key_version'))}</code>"
           f" · {_e(report.get('note', ''))}</p>"]
    if report.get("blocked"):
        out.append(f"<p class='bad'>Not published: {_e(report['blocked'])}</p>")
    ver = report.get("verification")
    risk = report.get("risk") or {}
    summary = [("rows in", report.get("rows_in", "—")), ("rows published", report.get("rows", "—")),
               ("rows suppressed", risk.get("suppressed_rows", 0)),
               ("values and entities masked", (report.get("totals") or {}).get("entities_masked", "—"))]
    out.append("<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in summary))
    if ver is not None:
        cls, word = ("ok", "passed") if ver["passed"] else ("bad", "FAILED")
        out.append(f"<tr><th>post-mask verification</th><td class='{cls}'>{word} ({ver['findings']} findings at score ≥ "
                   f"{ver['threshold']})</td></tr>")
    if risk.get("before"):
        before, after = risk["before"], risk.get("after") or {}
        out.append(f"<tr><th>k-anonymity</th><td>{_e(before['k'])} → <b>{_e(after.get('k'))}</b> "
                   f"(required {risk['k_required']})</td></tr>")
        if risk.get("l_required"):
            out.append(f"<tr><th>l-diversity</th><td>{_e(before['l'])} → <b>{_e(after.get('l'))}</b> "
                       f"(required {risk['l_required']})</td></tr>")
    out.append("</table>")

    disc = report.get("discovery") or {}
    if disc.get("undeclared"):
        out.append("<h2>Undeclared personal data</h2><table><tr><th>column</th><th>entity types</th><th>share of sampled cells</th></tr>")
        for u in disc["undeclared"]:
            out.append(f"<tr><td><code>{_e(u['column'])}</code></td><td>{_e(', '.join(u['entities']))}</td>"
                       f"<td class='{'bad' if disc.get('on_undeclared') == 'block' else 'warn'}'>{u['fraction']:.0%}</td></tr>")
        out.append("</table>")

    if report.get("columns"):
        out.append("<h2>Declared personal columns</h2><table><tr><th>column</th><th>declared</th><th>found in sample "
                   "(count, score distribution 0.5→1.0)</th><th>operator</th><th>key</th><th>values masked</th><th>masked examples</th></tr>")
        for c in report["columns"]:
            out.append(f"<tr><td><code>{_e(c['column'])}</code></td><td>{_e(c['entity'])}</td>"
                       f"<td>{_entities_cell(c.get('found_in_sample') or {})}</td>"
                       f"<td>{_e(c['operator'])} {_e(json.dumps(c['params'], ensure_ascii=False)) if c['params'] else ''}</td>"
                       f"<td>{_e(c['key_version'] or '')}</td><td>{c['values_masked']}</td>"
                       f"<td>{'<br>'.join(_e(x) for x in c['masked_examples'])}</td></tr>")
        out.append("</table>")
    for ft in report.get("free_text") or ():
        out.append(f"<h2>Free text: <code>{_e(ft['column'])}</code></h2>"
                   f"<p>{ft['rows_with_findings']} rows had personal data; operators "
                   f"{_e(json.dumps(ft['operators'], ensure_ascii=False))}</p>{bar_chart(ft['entities_found'])}"
                   "<p class='muted'>masked examples</p><ul>"
                   + "".join(f"<li>{_e(x)}</li>" for x in ft["masked_examples"]) + "</ul>")
    if disc.get("columns"):
        out.append(f"<h2>Discovery: every column, {disc['sample_rows']} sampled rows</h2><table><tr><th>column</th><th>status</th>"
                   "<th>cells</th><th>with findings</th><th>entity types (score distribution)</th></tr>")
        for c in disc["columns"]:
            cls = {"undeclared": "bad" if disc.get("on_undeclared") == "block" else "warn"}.get(c["status"], "")
            out.append(f"<tr><td><code>{_e(c['column'])}</code></td><td class='{cls}'>{_e(c['status'])}</td>"
                       f"<td>{c['cells']}</td><td>{c['fraction']:.0%}</td><td>{_entities_cell(c['entities'])}</td></tr>")
        out.append("</table>")
    if risk.get("before"):
        out.append(f"<h2>Re-identification risk over {_e(', '.join(risk['quasi_identifiers']))}</h2>"
                   "<table><tr><th>stage</th><th>k</th><th>l</th><th>classes</th><th>rows below k</th><th>class sizes</th></tr>")
        rows = [("before", risk["before"])] + [(f"generalise {s['column']} with {s['operator']} "
                                                f"{json.dumps(s['params'], ensure_ascii=False)}", s) for s in risk["steps"]]
        if risk.get("after"):
            rows.append((f"published ({risk['suppressed_rows']} rows suppressed)", risk["after"]))
        for label, m in rows:
            out.append(f"<tr><td>{_e(label)}</td><td>{_e(m.get('k'))}</td><td>{_e(m.get('l'))}</td>"
                       f"<td>{_e(m.get('classes', ''))}</td><td>{_e(m.get('rows_below_k', ''))}</td>"
                       f"<td>{bar_chart(m['class_sizes'], width=300, bar=14) if m.get('class_sizes') else ''}</td></tr>")
        out.append("</table>")
    if ver is not None:
        out.append("<h2>Post-mask verification</h2><table><tr><th>column</th><th>check</th><th>result</th></tr>")
        for d in ver["declared_columns"]:
            cls = "ok" if not d["unmasked_values"] else "bad"
            out.append(f"<tr><td><code>{_e(d['column'])}</code></td><td>every value has the form {_e(d['operator'])} "
                       f"produces</td><td class='{cls}'>{d['unmasked_values']} not masked</td></tr>")
        for col, ents in (ver.get("free_text_findings") or {}).items():
            out.append(f"<tr><td><code>{_e(col)}</code></td><td>rescanned with every recognizer</td>"
                       f"<td class='bad'>{_e(json.dumps(ents))}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "".join(out)
