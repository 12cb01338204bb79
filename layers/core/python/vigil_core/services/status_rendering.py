"""Status pages as HTML (services/status_page.py builds them), and the sign-in and not-found pages beside them.

Each page is one self-contained HTML5 document: inline CSS (light and dark, after the reader's colour scheme),
server-drawn inline SVG, no script, no external asset (no font, stylesheet, image or link to another host), so
it loads in one request and works where only the API's host is reachable. A Content-Security-Policy in the page
forbids anything else, so even a name that slipped past escaping could not load or run anything. Every value a
tenant sets (titles, descriptions, monitor names and targets, alert titles and labels) is escaped.

The status page reloads itself every minute (a meta refresh, no script) and fits a 375 px wide phone without
horizontal scrolling: long words wrap, tables scroll inside their own box.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections.abc import Sequence
from datetime import datetime

from vigil_core.services.status_page import (
    IncidentView,
    MonitorPageState,
    MonitorStatusView,
    OverallState,
    ResponseTimePoint,
    SlaCompliance,
    StatusPage,
)

REFRESH_SECONDS = 60
# The uptime bar's colour scale, best first: (lowest availability in %, CSS class, light fill, dark fill).
AVAILABILITY_LEVELS: tuple[tuple[float, str, str, str], ...] = (
    (99.9, "a4", "#2da44e", "#3fb950"),
    (99.0, "a3", "#9bc53d", "#a5d65a"),
    (95.0, "a2", "#e8a317", "#f0b429"),
    (0.0, "a1", "#d1242f", "#f85149"),
)
NO_DATA_LEVEL: tuple[str, str, str] = ("a0", "#c9d1d9", "#3d444d")  # CSS class, light fill, dark fill

_STATE_LABELS: dict[MonitorPageState, str] = {
    "up": "Operational",
    "degraded": "Degraded",
    "pending": "Failing checks",
    "down": "Down",
    "maintenance": "Maintenance",
    "paused": "Paused",
    "no_data": "No data",
}
# How the facts line under a monitor's name starts: "Down for 2 h".
_STATE_FACTS: dict[MonitorPageState, str] = {
    "up": "Up",
    "degraded": "Degraded",
    "pending": "Failing",
    "down": "Down",
    "maintenance": "In maintenance",
    "paused": "Paused",
    "no_data": "Not checked yet",
}
_OVERALL_LABELS: dict[OverallState, str] = {
    "operational": "All systems operational",
    "degraded": "Some systems degraded",
    "outage": "Outage: some systems are down",
    "no_data": "No data yet",
}
_COMPLIANCE_LABELS = {"compliant": "Met", "violated": "Missed", "no_data": "No data"}
_DAY_WIDTH = 4  # the uptime bar's viewBox units per day; a cell is 3 of them wide
_HOUR_WIDTH = 10  # the chart's viewBox units per hour
_CHART_HEIGHT = 100


def _level_css() -> tuple[str, str]:
    light = [f".days .{css}{{fill:{fill}}}" for _, css, fill, _ in AVAILABILITY_LEVELS]
    dark = [f".days .{css}{{fill:{fill}}}" for _, css, _, fill in AVAILABILITY_LEVELS]
    light.append(f".days .{NO_DATA_LEVEL[0]}{{fill:{NO_DATA_LEVEL[1]}}}")
    dark.append(f".days .{NO_DATA_LEVEL[0]}{{fill:{NO_DATA_LEVEL[2]}}}")
    return "".join(light), "".join(dark)


_LIGHT_LEVELS, _DARK_LEVELS = _level_css()
_STYLE = (
    """
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;
--green:#1a7f37;--green-bg:#dafbe1;--amber:#9a6700;--amber-bg:#fff8c5;--red:#b42318;--red-bg:#ffebe9;
--blue:#0969da;--blue-bg:#ddf4ff;--grey-bg:#eef1f4;--plot:#0969da}
"""
    + _LIGHT_LEVELS
    + """
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#9198a1;
--line:#30363d;--green:#3fb950;--green-bg:#12261e;--amber:#d29922;--amber-bg:#272115;--red:#f85149;
--red-bg:#2d1214;--blue:#58a6ff;--blue-bg:#121d2f;--grey-bg:#21262d;--plot:#58a6ff}"""
    + _DARK_LEVELS
    + """}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:920px;margin:0 auto;padding:20px 16px 32px}
h1{font-size:1.6em;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:28px 0 10px}
h3{font-size:1em;margin:0;overflow-wrap:anywhere}
p{margin:0 0 8px}
.meta{color:var(--muted);font-size:.85em;overflow-wrap:anywhere}
.description{overflow-wrap:anywhere;white-space:pre-line}
.banner{display:flex;align-items:center;gap:10px;padding:14px 16px;border-radius:10px;margin:16px 0 6px;
font-weight:600;font-size:1.05em;border:1px solid var(--line)}
.banner::before{content:"";flex:none;width:12px;height:12px;border-radius:50%;background:currentColor}
.banner.operational{background:var(--green-bg);color:var(--green)}
.banner.degraded{background:var(--amber-bg);color:var(--amber)}
.banner.outage{background:var(--red-bg);color:var(--red)}
.banner.no_data{background:var(--grey-bg);color:var(--muted)}
.monitor{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:0 0 12px}
.head{display:flex;justify-content:space-between;align-items:flex-start;gap:10px}
.head>div{min-width:0}
.badge{flex:none;display:inline-block;padding:2px 10px;border-radius:12px;font-size:.8em;font-weight:600;
background:var(--grey-bg);color:var(--muted);white-space:nowrap}
.badge.up,.badge.compliant{background:var(--green-bg);color:var(--green)}
.badge.degraded,.badge.pending,.badge.warning{background:var(--amber-bg);color:var(--amber)}
.badge.down,.badge.violated,.badge.critical,.badge.error{background:var(--red-bg);color:var(--red)}
.badge.maintenance,.badge.info{background:var(--blue-bg);color:var(--blue)}
.facts{display:flex;flex-wrap:wrap;gap:2px 16px;margin:6px 0 10px}
svg{display:block;overflow:visible}
svg.days{width:100%;height:34px}
.days rect:hover{opacity:.7}
.axis{display:flex;justify-content:space-between;gap:8px;color:var(--muted);font-size:.78em;margin-top:4px}
.axis b{color:var(--fg)}
h4{font-size:.85em;font-weight:600;margin:14px 0 6px;color:var(--muted)}
.chart{display:grid;grid-template-columns:auto minmax(0,1fr);grid-template-rows:110px auto;gap:4px 6px;margin:0}
.y{display:flex;flex-direction:column;justify-content:space-between;align-items:flex-end;color:var(--muted);
font-size:.72em;line-height:1;white-space:nowrap}
svg.plot{width:100%;height:110px;border-left:1px solid var(--line);border-bottom:1px solid var(--line)}
.plot .grid{stroke:var(--line);stroke-width:1;stroke-dasharray:3 3}
.plot .line{fill:none;stroke:var(--plot);stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.plot .dot{stroke:var(--plot);stroke-width:6;stroke-linecap:round}
.plot .hit{fill:transparent}
.plot .point:hover .dot{stroke-width:10}
.plot .point:hover .hit{fill:var(--grey-bg);fill-opacity:.5}
.x{grid-column:2;display:flex;justify-content:space-between;color:var(--muted);font-size:.72em}
.nodata{color:var(--muted)}
ul.incidents{list-style:none;margin:0;padding:0}
.incident{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px;margin:0 0 8px}
.incident b{overflow-wrap:anywhere}
.labels{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}
.labels code{background:var(--grey-bg);border-radius:6px;padding:0 6px;font-size:.78em;overflow-wrap:anywhere}
.table{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal;overflow-wrap:anywhere}
tr:last-child td{border-bottom:0}
tfoot td{font-weight:600}
form{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin:16px 0}
label{display:block;font-weight:600;margin-bottom:6px}
input{width:100%;font:inherit;padding:8px 10px;border:1px solid var(--line);border-radius:8px;
background:var(--bg);color:var(--fg)}
button{margin-top:12px;font:inherit;font-weight:600;padding:8px 18px;border:0;border-radius:8px;
background:var(--blue);color:#fff;cursor:pointer}
.error{background:var(--red-bg);color:var(--red);border-radius:8px;padding:8px 12px}
footer{color:var(--muted);font-size:.8em;margin-top:28px}
@media (max-width:480px){main{padding:14px 12px 24px}h1{font-size:1.35em}.monitor{padding:12px}}
"""
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# Nothing but this page's own style: no script, no other origin, no form posting elsewhere.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; form-action 'self'; base-uri 'none'"
)


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _floor(value: float, digits: int) -> float:
    """Rounded down, so 99.9996 % never reads as 100 %."""
    scale = 10.0**digits
    return math.floor(value * scale + 1e-9) / scale


def pct_text(value: float | None, digits: int = 2) -> str:
    """An availability as shown: rounded down to `digits` decimals, 'no data' for None."""
    return "no data" if value is None else f"{_floor(value, digits):.{digits}f} %"


def availability_level(value: float | None) -> tuple[str, str]:
    """The uptime bar's CSS class and (light scheme) fill for a day's availability."""
    if value is None:
        return NO_DATA_LEVEL[0], NO_DATA_LEVEL[1]
    for lowest, css, fill, _ in AVAILABILITY_LEVELS:
        if value >= lowest:
            return css, fill
    return AVAILABILITY_LEVELS[-1][1], AVAILABILITY_LEVELS[-1][2]


def _time(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    if at is None:
        return '<span class="nodata">never</span>'
    return f'<time datetime="{_e(at.isoformat())}">{_e(at.strftime(fmt))}</time>'


def _duration(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _page(title: str, body: str, *, refresh: bool, indexable: bool = False) -> str:
    head = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CONTENT_SECURITY_POLICY)}">',
        '<meta name="referrer" content="no-referrer">',
        "" if indexable else '<meta name="robots" content="noindex">',
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else "",
        '<link rel="icon" href="data:,">',  # no request for /favicon.ico
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>",
    ]
    return "".join(head) + f"<body><main>{body}</main></body></html>\n"


# -- the status page ------------------------------------------------------------------------------------------------


def render_status_page(page: StatusPage, *, public: bool) -> str:
    """The page as one HTML document. `public` (or a page built as public) leaves out targets, alert states,
    summaries and labels even if the page holds them."""
    public = public or page.public
    parts = [
        f"<header><h1>{_e(page.title)}</h1>",
        f'<p class="description">{_e(page.description)}</p>' if page.description else "",
        f'<div class="banner {_e(page.overall)}" role="status" data-overall="{_e(page.overall)}">'
        f"{_e(_OVERALL_LABELS[page.overall])}</div>",
        f'<p class="meta">Updated {_time(page.generated_at)}; this page reloads every minute.</p></header>',
        "<h2>Incidents</h2>",
        _incidents_html(page.incidents, page.generated_at, public=public),
        "<h2>Monitors</h2>",
        f'<p class="meta">Uptime per UTC day, {_e(page.first_day.isoformat())} to {_e(page.last_day.isoformat())} '
        "(today so far); hover a day for its figure.</p>",
    ]
    if page.monitors:
        parts.extend(_monitor_html(monitor, page.generated_at) for monitor in page.monitors)
    else:
        parts.append('<p class="nodata">No monitors on this page yet.</p>')
    parts.append(_sla_html(page))
    variant = "Public status page." if public else f"Status page of tenant {_e(page.tenant_id)}."
    parts.append(f"<footer>{variant} Times are UTC. Served by vigil.</footer>")
    return _page(page.title, "".join(parts), refresh=True, indexable=public)


def _monitor_html(monitor: MonitorStatusView, now: datetime) -> str:
    kind = _e(monitor.type.upper())
    described = f"{kind} &middot; {_e(monitor.target)}" if monitor.target else kind
    state = _e(_STATE_FACTS[monitor.state])
    if monitor.since is not None and monitor.state not in ("paused", "no_data"):
        lasted = _e(_duration((now - monitor.since).total_seconds()))
        state = f"{state} for {lasted}, since {_time(monitor.since)}"
    facts = [f"<span>{state}</span>"]
    if monitor.last_checked_at is not None:
        facts.append(f"<span>Last check {_time(monitor.last_checked_at)}</span>")
    if monitor.last_response_ms is not None:
        facts.append(f"<span>Last response {_e(f'{monitor.last_response_ms:,.0f}')} ms</span>")
    return (
        f'<section class="monitor" id="monitor-{_e(monitor.id)}" data-monitor="{_e(monitor.id)}" '
        f'data-state="{_e(monitor.state)}">'
        f'<div class="head"><div><h3>{_e(monitor.name)}</h3><p class="meta">{described}</p></div>'
        f'<span class="badge {_e(monitor.state)}">{_e(_STATE_LABELS[monitor.state])}</span></div>'
        f'<div class="facts meta">{"".join(facts)}</div>'
        + _days_svg(monitor)
        + f'<div class="axis"><span>{len(monitor.days)} days ago</span>'
        f"<span><b>{_e(pct_text(monitor.uptime_pct, 3))}</b> uptime</span><span>Today</span></div>"
        + "<h4>Response time, last 24 hours (hourly average)</h4>"
        + _chart_html(monitor.response_times, monitor.name)
        + "</section>"
    )


def _days_svg(monitor: MonitorStatusView) -> str:
    width = max(1, len(monitor.days)) * _DAY_WIDTH
    cells = []
    for index, cell in enumerate(monitor.days):
        availability = cell.availability_pct
        css, _ = availability_level(availability)
        if availability is None:
            figure, data = "no data", "none"
        else:
            figure = f"{pct_text(availability)} ({cell.good:,} of {cell.total:,} checks good)"
            data = f"{availability:.4f}"
        day = cell.day.isoformat()
        cells.append(
            f'<rect class="{css}" x="{index * _DAY_WIDTH}" y="0" width="{_DAY_WIDTH - 1}" height="34" rx="0.6" '
            f'data-date="{day}" data-availability="{data}"><title>{day}: {_e(figure)}</title></rect>'
        )
    label = f"Uptime of {monitor.name} per day: {pct_text(monitor.uptime_pct, 3)} over {len(monitor.days)} days"
    return (
        f'<svg class="days" viewBox="0 0 {width} 34" preserveAspectRatio="none" role="img" '
        f'aria-label="{_e(label)}">{"".join(cells)}</svg>'
    )


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 (times a power of ten) at or above `value`."""
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _ms_text(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 or value == 0 else f"{value:.1f} ms"


def _chart_html(points: Sequence[ResponseTimePoint], name: str) -> str:
    measured = [point.average_ms for point in points if point.average_ms is not None]
    if not measured:
        return '<p class="nodata">No response time measured in the last 24 hours.</p>'
    top = _nice_ceiling(max(10.0, max(measured) * 1.1))
    width = len(points) * _HOUR_WIDTH
    path: list[str] = []
    groups: list[str] = []
    previous_measured = False
    for index, point in enumerate(points):
        x = index * _HOUR_WIDTH + _HOUR_WIDTH / 2
        hour = point.start.strftime("%H:00 UTC")
        hit = f'<rect class="hit" x="{index * _HOUR_WIDTH}" y="0" width="{_HOUR_WIDTH}" height="{_CHART_HEIGHT}"/>'
        if point.average_ms is None:
            groups.append(f'<g class="point"><title>{_e(hour)}: no checks</title>{hit}</g>')
            previous_measured = False
            continue
        y = _CHART_HEIGHT - _CHART_HEIGHT * point.average_ms / top
        path.append(f"{'L' if previous_measured else 'M'}{x:g} {y:.2f}")
        previous_measured = True
        tip = f"{hour}: {_ms_text(point.average_ms)} on average ({point.checks:,} checks)"
        groups.append(
            f'<g class="point" data-hour="{_e(point.start.isoformat())}" data-ms="{point.average_ms:.1f}">'
            f'<title>{_e(tip)}</title>{hit}<path class="dot" d="M{x:g} {y:.2f}h0" vector-effect="non-scaling-stroke"/>'
            "</g>"
        )
    grid = "".join(
        f'<line class="grid" x1="0" y1="{y}" x2="{width}" y2="{y}" vector-effect="non-scaling-stroke"/>'
        for y in (0, _CHART_HEIGHT / 2)
    )
    middle = points[len(points) // 2].start.strftime("%H:00")
    label = f"Hourly average response time of {name} over the last 24 hours, up to {_ms_text(max(measured))}"
    return (
        '<figure class="chart">'
        f'<div class="y"><span>{_e(_ms_text(top))}</span><span>{_e(_ms_text(top / 2))}</span><span>0 ms</span></div>'
        f'<svg class="plot" viewBox="0 0 {width} {_CHART_HEIGHT}" preserveAspectRatio="none" role="img" '
        f'aria-label="{_e(label)}">{grid}'
        f'<path class="line" d="{" ".join(path)}" vector-effect="non-scaling-stroke"/>{"".join(groups)}</svg>'
        f'<div class="x"><span>{_e(points[0].start.strftime("%H:00"))}</span><span>{_e(middle)}</span>'
        "<span>now</span></div></figure>"
    )


def _incidents_html(incidents: Sequence[IncidentView], now: datetime, *, public: bool) -> str:
    if not incidents:
        return '<p class="meta">No open incidents.</p>'
    items = []
    for incident in incidents:
        opened = _duration((now - incident.since).total_seconds())
        line = [
            f'<span class="badge {_e(incident.severity.value)}">{_e(incident.severity.value)}</span> ',
            f"<b>{_e(incident.title)}</b>",
            f'<p class="meta">Since {_time(incident.since)} ({_e(opened)})',
        ]
        if not public and incident.state is not None:
            line.append(f"; {_e(incident.state.value)}")
        line.append("</p>")
        if not public and incident.summary:
            line.append(f"<p>{_e(incident.summary)}</p>")
        if not public and incident.labels:
            chips = "".join(f"<code>{_e(key)}={_e(value)}</code>" for key, value in incident.labels.items())
            line.append(f'<div class="labels">{chips}</div>')
        items.append(f'<li class="incident" data-severity="{_e(incident.severity.value)}">{"".join(line)}</li>')
    return f'<ul class="incidents">{"".join(items)}</ul>'


def _compliance_badge(sla: SlaCompliance) -> str:
    return f'<span class="badge {_e(sla.status)}">{_e(_COMPLIANCE_LABELS[sla.status])}</span>'


def _sla_html(page: StatusPage) -> str:
    target = page.target.availability_pct
    rows = "".join(
        f'<tr data-monitor="{_e(monitor.id)}"><td>{_e(monitor.name)}</td>'
        f"<td>{_e(pct_text(monitor.sla.uptime_pct, 3))}</td><td>{_compliance_badge(monitor.sla)}</td></tr>"
        for monitor in page.monitors
    )
    overall = (
        f'<tfoot><tr data-monitor=""><td>All monitors on this page</td><td>{_e(pct_text(page.sla.uptime_pct, 3))}'
        f"</td><td>{_compliance_badge(page.sla)}</td></tr></tfoot>"
    )
    return (
        '<section class="sla" aria-labelledby="sla-heading"><h2 id="sla-heading">SLA</h2>'
        f'<p class="meta">Availability this month ({_e(page.sla_period)} in {_e(page.sla_timezone)}, so far) against '
        f"the {_e(page.tier)} tier's target of {_e(f'{target:g}')} %: "
        f'{_compliance_badge(page.sla)}</p><div class="table"><table><thead><tr><th>Monitor</th><th>Uptime</th>'
        f"<th>Target {_e(f'{target:g}')} %</th></tr></thead><tbody>{rows}</tbody>{overall}</table></div></section>"
    )


# -- the pages around it ------------------------------------------------------------------------------------------


def render_sign_in_page(tenant: str, error: str | None = None) -> str:
    """A form asking for an API key of the tenant, posted (field `api_key`) back to the URL that showed it:
    /status/{tenant}. `error` (e.g. a key that was refused) is shown above it."""
    problem = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
    body = (
        f"<h1>Status of {_e(tenant)}</h1>"
        '<p class="meta">This status page is private. Sign in with an API key of the tenant; the browser keeps it '
        "in a cookie for this page only.</p>"
        f'{problem}<form method="post"><label for="api_key">API key</label>'
        '<input id="api_key" name="api_key" type="password" required autocomplete="current-password" '
        'spellcheck="false" autocapitalize="off" autofocus>'
        '<button type="submit">Sign in</button></form>'
    )
    return _page(f"Sign in: status of {tenant}", body, refresh=False)


def render_not_found_page() -> str:
    """The same page whether the tenant is unknown or has not made its status page public."""
    body = (
        "<h1>No status page here</h1>"
        '<p class="meta">There is no public status page at this address. Check the link with whoever gave it '
        "to you.</p>"
    )
    return _page("Status page not found", body, refresh=False)
