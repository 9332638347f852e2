// Draws a run's data as an SVG timeline: lanes grouped by host, roles, bands, sentinel events
// and states, writes (aggregated when dense), with zoom, pan, tooltips and the story of lost
// writes. No network access; everything is in this page. The timeline page draws its #run-data;
// another page (the playground) calls `redsimTimeline(data, opts)` after each run, which redraws
// into the same elements. With `opts.onBandEdit(i, from, to)`, dragging a filter band moves it
// (dragging its right edge resizes it) and reports its new times (µs) when released.
(function () {
  "use strict";
  let listeners = null;
  function mount(D, opts) {
  // The previous drawing's listeners go with it.
  if (listeners) listeners.abort();
  listeners = new AbortController();
  function listen(target, type, fn, extra) {
    target.addEventListener(type, fn, Object.assign({ signal: listeners.signal }, extra));
  }
  const svg = document.getElementById("plot");
  const tip = document.getElementById("tip");
  const story = document.getElementById("story");
  const LABEL_W = 200, PAD_R = 16, TOP_H = 16, AXIS_H = 30 + TOP_H, HOST_H = 22, FOOT_H = 22;
  const HEIGHT = { redis: 34, sentinel: 40, client: 34, cli: 34 };
  const MARK_COLOR = {
    "+sdown": "var(--sdown)", "-sdown": "var(--sdown)", "+odown": "var(--odown)", "-odown": "var(--odown)",
    "+try-failover": "var(--vote)", "+vote-for-leader": "var(--vote)", "+elected-leader": "var(--vote)",
    "+new-epoch": "var(--vote)", "+selected-slave": "var(--switch)", "+promoted-slave": "var(--switch)",
    "+failover-state-send-slaveof-noone": "var(--switch)", "+failover-state-wait-promotion": "var(--switch)",
    "+switch-master": "var(--switch)", "+failover-end": "var(--switch)", "+config-update-from": "var(--switch)",
    "+convert-to-slave": "var(--convert)", "+fix-slave-config": "var(--convert)", "+slave-reconf-sent": "var(--convert)",
    "+slave-reconf-done": "var(--convert)", "+tilt": "#92400e", "-tilt": "#92400e",
  };
  const STATE_COLOR = { failover: "var(--vote)", sdown: "var(--sdown)", odown: "var(--odown)", tilt: "#92400e" };
  const WRITE_COLOR = { kept: "var(--kept)", lost: "var(--lost)", refused: "var(--refused)", indeterminate: "var(--indeterminate)" };
  const FATES = ["lost", "indeterminate", "refused", "kept"];

  // Filter-rule labels sit in their host's header, one line each; a rule whose label would
  // overlap another's at the widest view (the tightest) takes the next line.
  const CHAR_W = 6.4, LINE_H = 12;
  const width0 = Math.max(640, svg.parentNode.clientWidth || 1200) - LABEL_W - PAD_R;
  const bandSlot = [], slotsOf = {};
  D.bands.map(function (b, i) { return i; }).sort(function (a, b) { return D.bands[a][2] - D.bands[b][2] || a - b; }).forEach(function (i) {
    const [host, rule, from] = D.bands[i];
    const ends = slotsOf[host] = slotsOf[host] || [];
    const X = from / Math.max(D.end, 1) * width0;
    let slot = ends.findIndex(function (end) { return end < X; });
    if (slot < 0) { slot = ends.length; ends.push(0); }
    ends[slot] = X + rule.length * CHAR_W + 12;
    bandSlot[i] = slot;
  });

  // A client's lane has one row per server its writes went to (servers in lane order), then one
  // for writes sent to none (no master known): where a write sits says where it went.
  // Many client lanes (a scenario comparing libraries) are drawn compact, to stay in view.
  const clientLanes = D.lanes.filter(function (l) { return l.kind === "client"; }).length;
  const SUB_TOP = clientLanes > 6 ? 11 : 14, SUB_H = clientLanes > 6 ? 7 : 16;
  const serverRank = {};
  D.lanes.forEach(function (l, i) { if (l.kind === "redis") serverRank[l.id] = i; });
  function targetRank(node) { return node === "" ? 2e9 : node in serverRank ? serverRank[node] : 1e9; }
  const targets = {};
  D.writes.forEach(function (w) {
    const list = targets[w[0]] = targets[w[0]] || [];
    if (list.indexOf(w[6]) < 0) list.push(w[6]);
  });
  Object.keys(targets).forEach(function (lane) {
    targets[lane].sort(function (a, b) { return targetRank(a) - targetRank(b) || (a < b ? -1 : a > b ? 1 : 0); });
  });
  function laneHeight(l, i) {
    return targets[i] ? SUB_TOP + SUB_H * targets[i].length + 4 : HEIGHT[l.kind] || 34;
  }

  // Rows: a header per host (taller with rule labels), then its lanes. Hosts with a client come
  // first, so what the application saw is in view without scrolling, above the servers.
  const laneRows = [], hostRows = [];
  const hasClient = D.hosts.map(function (_, h) { return D.lanes.some(function (l) { return l.host === h && l.kind === "client"; }); });
  const hostOrder = D.hosts.map(function (_, h) { return h; }).sort(function (a, b) { return (hasClient[b] - hasClient[a]) || a - b; });
  let y = AXIS_H;
  hostOrder.forEach(function (h) {
    const lanes = D.lanes.map(function (l, i) { return [l, i]; }).filter(function (p) { return p[0].host === h; });
    if (!lanes.length) return;
    const top = y;
    y += HOST_H + LINE_H * (slotsOf[h] || []).length;
    lanes.forEach(function (p) { laneRows[p[1]] = { y: y, h: laneHeight(p[0], p[1]) }; y += laneRows[p[1]].h; });
    hostRows.push({ host: h, top: top, bottom: y });
  });
  const H = y + FOOT_H;
  // The row of lane `lane`'s writes to `node`.
  function subRow(lane, node) {
    const r = laneRows[lane], k = Math.max(0, (targets[lane] || []).indexOf(node));
    return { y: r.y + SUB_TOP + k * SUB_H, h: SUB_H };
  }

  let t0 = 0, t1 = Math.max(D.end, 1), width = 1200;
  const tips = [];
  let selected = null;

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function capital(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  function secs(us) { return (us / 1e6).toFixed(3) + "s"; }
  function plotW() { return width - LABEL_W - PAD_R; }
  function x(us) { return LABEL_W + (us - t0) / (t1 - t0) * plotW(); }
  function tipAttr(text) { tips.push(text); return ' data-tip="' + (tips.length - 1) + '"'; }
  function clampX(v) { return Math.max(LABEL_W, Math.min(width - PAD_R, v)); }
  function span(a, b) { const xa = clampX(x(a)), xb = clampX(x(b)); return [xa, Math.max(0, xb - xa)]; }
  function visible(a, b) { return b >= t0 && a <= t1; }

  function niceStep(range) {
    const raw = range / 10, p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
    return 10 * p;
  }

  function ticks() {
    const step = niceStep(t1 - t0);
    const digits = step >= 1e6 ? 0 : step >= 1e5 ? 1 : step >= 1e4 ? 2 : 3;
    const list = [];
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) list.push([t, (t / 1e6).toFixed(digits) + "s"]);
    return list;
  }

  function grid(out) {
    ticks().forEach(function (t) {
      const X = x(t[0]).toFixed(1);
      out.push('<line x1="' + X + '" x2="' + X + '" y1="' + (AXIS_H - TOP_H - 4) + '" y2="' + (H - FOOT_H) + '" stroke="#eef2f7"/>');
    });
  }

  function axis(out) {
    out.push('<g class="axis">');
    ticks().forEach(function (t) {
      const X = x(t[0]);
      const anchor = X < LABEL_W + 12 ? "start" : X > width - PAD_R - 12 ? "end" : "middle";
      out.push('<text x="' + X.toFixed(1) + '" y="' + (AXIS_H - TOP_H - 10) + '" text-anchor="' + anchor + '">' + t[1] + "</text>");
      out.push('<text x="' + X.toFixed(1) + '" y="' + (H - 6) + '" text-anchor="' + anchor + '">' + t[1] + "</text>");
    });
    out.push("</g>");
  }

  function hosts(out) {
    hostRows.forEach(function (r, i) {
      out.push('<rect class="host" x="0" y="' + r.top + '" width="' + width + '" height="' + (r.bottom - r.top) + '" fill="' + (i % 2 ? "#fcfcfd" : "#f8fafc") + '"/>');
      out.push('<line x1="0" x2="' + width + '" y1="' + r.top + '" y2="' + r.top + '" stroke="#e2e8f0"/>');
      out.push('<text class="host-label" x="10" y="' + (r.top + 15) + '">host ' + esc(D.hosts[r.host]) + "</text>");
    });
    D.lanes.forEach(function (l, i) {
      const r = laneRows[i];
      out.push('<g class="lane" data-proc="' + esc(l.id) + '" data-kind="' + l.kind + '">');
      out.push('<line x1="' + LABEL_W + '" x2="' + (width - PAD_R) + '" y1="' + (r.y + r.h) + '" y2="' + (r.y + r.h) + '" stroke="#f1f5f9"/>');
      const rows = targets[i];
      out.push('<text class="lane-label" x="22" y="' + (rows ? r.y + 11 : r.y + r.h / 2 + 4) + '">' + esc(l.label) + "</text>");
      (rows || []).forEach(function (node) {
        const s = subRow(i, node);
        out.push('<text class="node-label" x="34" y="' + (s.y + s.h / 2 + 3.5) + '">' + (node ? "to " + esc(node) : "sent to no server") + "</text>");
      });
      out.push("</g>");
    });
  }

  function bands(out) {
    const labels = [];
    D.bands.forEach(function (b, i) {
      const [host, rule, from, to] = b;
      const r = hostRows.find(function (h) { return h.host === host; });
      if (!r || !visible(from, to)) return;
      const [X, W] = span(from, to);
      out.push('<rect class="band" data-band="' + i + '" data-rule="' + esc(rule) + '" data-host="' + esc(D.hosts[host]) + '" x="' + X + '" y="' + (r.top + 1) + '" width="' + W + '" height="' + (r.bottom - r.top - 1) +
        '" fill="url(#hatch-band)" stroke="var(--band)" stroke-opacity=".45"' +
        tipAttr("iptables on " + D.hosts[host] + ":\n<code>" + esc(rule) + "</code>\n" + secs(from) + " to " + secs(to)) + "/>");
      labels.push([host, bandSlot[i], X, X + W, rule, r.top + HOST_H - 6 + LINE_H * bandSlot[i]]);
    });
    // A label stops before the next label on its line, or at its band's end.
    labels.forEach(function (l) {
      const next = labels.filter(function (m) { return m[0] === l[0] && m[1] === l[1] && m[2] > l[2]; }).map(function (m) { return m[2]; });
      const room = Math.min.apply(null, next.concat([l[3]])) - l[2] - 8;
      const fit = Math.floor(room / CHAR_W);
      if (fit < 4) return;
      const text = l[4].length > fit ? l[4].slice(0, fit - 1) + "…" : l[4];
      out.push('<text class="band-label" x="' + (l[2] + 4) + '" y="' + l[5] + '">' + esc(text) + "</text>");
    });
  }

  function splitBrain(out) {
    D.split.forEach(function (s) {
      const [from, to, masters] = s;
      if (!visible(from, to)) return;
      const [X, W] = span(from, to);
      out.push('<g class="split-brain"' + tipAttr("Split brain " + secs(from) + " to " + secs(to) + "\nwritable masters: " + masters.join(", ")) + ">");
      out.push('<rect x="' + X + '" y="' + AXIS_H + '" width="' + W + '" height="' + (H - FOOT_H - AXIS_H) + '" fill="var(--split)" fill-opacity=".07" stroke="var(--split)" stroke-opacity=".45" stroke-dasharray="4 3"/>');
      out.push('<rect x="' + X + '" y="' + (AXIS_H - TOP_H) + '" width="' + W + '" height="' + TOP_H + '" fill="var(--split)" fill-opacity=".14"/>');
      out.push('<rect x="' + X + '" y="' + (AXIS_H - 2) + '" width="' + W + '" height="2" fill="var(--split)"/>');
      const label = W > 200 ? "split brain: " + masters.length + " writable masters" : W > 70 ? "split brain" : "";
      if (label) out.push('<text class="split-label" x="' + (X + 5) + '" y="' + (AXIS_H - 4) + '">' + label + "</text>");
      out.push("</g>");
    });
  }

  function roles(out) {
    D.roles.forEach(function (s) {
      const [lane, from, to, role, of, paused, linkUp, offset, writable] = s;
      if (!visible(from, to)) return;
      const r = laneRows[lane], [X, W] = span(from, to);
      const yy = r.y + 6, hh = r.h - 12;
      let fill = role === "master" ? (writable ? "var(--master)" : "url(#hatch-noreplicas)") :
        role === "replica" ? (linkUp ? "var(--replica)" : "var(--replica-down)") : "url(#hatch-down)";
      const what = role === "replica" ? "replica of " + of : role === "down" ? "not running" : "master" + (writable ? "" : " refusing writes (NOREPLICAS)");
      const detail = what + (paused ? " (paused: SIGSTOP)" : "") + "\n" + secs(from) + " to " + secs(to) +
        (role === "replica" ? "\nmaster_link_status:" + (linkUp ? "up" : "down") : "") +
        (role !== "down" ? "\nmaster_repl_offset: " + offset : "");
      out.push('<g class="role role-' + role + '"' + tipAttr(D.lanes[lane].id + ": " + detail) + ">");
      out.push('<rect x="' + X + '" y="' + yy + '" width="' + W + '" height="' + hh + '" rx="2" fill="' + fill + '"' +
        (role === "replica" && !linkUp ? ' stroke="#60a5fa" stroke-dasharray="3 2"' : "") + "/>");
      if (paused) out.push('<rect x="' + X + '" y="' + yy + '" width="' + W + '" height="' + hh + '" fill="url(#hatch-paused)"/>');
      const text = role === "replica" ? "replica of " + of : role === "master" ? "master" : "";
      if (text && W > text.length * 6 + 10) {
        const color = role === "master" && writable ? "#fff" : "#1e3a8a";
        out.push('<text class="role-label" x="' + (X + 5) + '" y="' + (yy + hh / 2 + 4) + '" fill="' + color + '" style="fill:' + color + '">' + esc(text) + "</text>");
      }
      out.push("</g>");
    });
  }

  function states(out) {
    D.states.forEach(function (s) {
      const [lane, from, to, kind, label] = s;
      if (!visible(from, to)) return;
      const r = laneRows[lane], [X, W] = span(from, to);
      const row = { failover: 0, sdown: 1, odown: 1, tilt: 2 }[kind];
      out.push('<rect class="state state-' + kind + '" x="' + X + '" y="' + (r.y + r.h - 11 + row * 3) + '" width="' + Math.max(W, 1) + '" height="3" fill="' + STATE_COLOR[kind] + '"' +
        tipAttr(D.lanes[lane].id + ": " + label + "\n" + secs(from) + " to " + secs(to)) + "/>");
    });
  }

  function diamond(cx, cy, s) {
    return "M" + cx + "," + (cy - s) + "L" + (cx + s) + "," + cy + "L" + cx + "," + (cy + s) + "L" + (cx - s) + "," + cy + "Z";
  }

  // Key events are labelled above their diamonds, in a monospace face (so a label's width is
  // known before it is drawn). Events whose labels would run into the one before (a failover's
  // burst within a second) join its label, `+sdown master +3`, whose tooltip lists them all: no
  // two labels overlap at any zoom.
  const MARK_CHAR_W = 6.1, MARK_GAP = 8;
  function markName(m) { return /down$/.test(m[2]) ? m[2] + " " + m[3].split(" ")[0] : m[2]; }
  function markLabel(ids) { return markName(D.marks[ids[0]]) + (ids.length > 1 ? " +" + (ids.length - 1) : ""); }
  function markLabelEnd(X, ids) { return X + 5 + markLabel(ids).length * MARK_CHAR_W + MARK_GAP; }

  function marks(out) {
    const keyed = {};
    D.marks.forEach(function (m, i) {
      const [lane, at, event, text, line, key] = m;
      if (at < t0 || at > t1) return;
      const r = laneRows[lane], X = x(at), cy = r.y + 21;
      const color = MARK_COLOR[event] || "#9ca3af";
      out.push('<path class="mark" data-event="' + esc(event) + '" data-m="' + i + '" d="' + diamond(Math.round(X * 10) / 10, cy, key ? 5 : 2.5) + '" fill="' + color + '"' +
        (key ? "" : ' fill-opacity=".6"') + tipAttr("<code>" + esc(line) + "</code>") + "/>");
      if (key) (keyed[lane] = keyed[lane] || []).push(i);
    });
    Object.keys(keyed).forEach(function (lane) {
      const groups = [];
      keyed[lane].forEach(function (i) {
        const X = x(D.marks[i][1]), last = groups[groups.length - 1];
        if (last && X < markLabelEnd(last.x, last.ids)) last.ids.push(i);
        else groups.push({ x: X, ids: [i] });
      });
      const y = laneRows[lane].y + 11;
      groups.forEach(function (g) {
        const list = g.ids.map(function (i) { return secs(D.marks[i][1]) + " <code>" + esc(D.marks[i][4]) + "</code>"; });
        out.push('<text class="mark-label" data-events="' + g.ids.length + '" x="' + (g.x + 5).toFixed(1) + '" y="' + y + '"' +
          (g.ids.length > 1 ? tipAttr(g.ids.length + " events:\n" + list.join("\n")) : "") + ">" + esc(markLabel(g.ids)) + "</text>");
      });
    });
  }

  function promotions(out) {
    D.promotions.forEach(function (p) {
      const [lane, at, by, epoch] = p;
      if (at < t0 || at > t1) return;
      const r = laneRows[lane], X = x(at);
      out.push('<g class="promotion"' + tipAttr("Promoted to master at " + secs(at) + " by " + by + (epoch != null ? " (epoch " + epoch + ")" : "")) + ">");
      out.push('<path d="' + star(X, r.y + r.h / 2, 8, 3.5) + '" fill="#facc15" stroke="#a16207" stroke-width="1"/>');
      out.push("</g>");
    });
  }

  function star(cx, cy, R, r0) {
    let d = "";
    for (let i = 0; i < 10; i++) {
      const a = Math.PI / 5 * i - Math.PI / 2, rr = i % 2 ? r0 : R;
      d += (i ? "L" : "M") + (cx + rr * Math.cos(a)).toFixed(1) + "," + (cy + rr * Math.sin(a)).toFixed(1);
    }
    return d + "Z";
  }

  function faults(out) {
    D.faults.forEach(function (f) {
      const [lane, at, label] = f;
      if (at < t0 || at > t1) return;
      const r = laneRows[lane], X = x(at), cy = r.y + r.h / 2;
      const crash = label === "power loss", kill = crash || label === "SIGKILL";
      out.push('<g class="fault"' + tipAttr(D.lanes[lane].id + ": " + label + " at " + secs(at)) + ">");
      out.push('<line x1="' + X + '" x2="' + X + '" y1="' + (r.y + 2) + '" y2="' + (r.y + r.h - 2) + '" stroke="#111827" stroke-width="1.5"/>');
      out.push('<circle cx="' + X + '" cy="' + cy + '" r="7" fill="' + (crash ? "#b91c1c" : kill ? "#111827" : "#fff") + '" stroke="#111827"/>');
      out.push('<text x="' + X + '" y="' + (cy + 3.5) + '" text-anchor="middle" style="font-size:9px;font-weight:700;fill:' + (kill ? "#fff" : "#111827") + '">' + (crash ? "↯" : kill ? "✕" : label === "started" ? "▶" : label === "SIGSTOP" ? "‖" : "•") + "</text></g>");
    });
  }

  function beliefs(out) {
    D.beliefs.forEach(function (b) {
      const [lane, at, what] = b;
      if (at < t0 || at > t1) return;
      const r = laneRows[lane], X = x(at);
      out.push('<path class="belief" d="M' + (X - 4) + "," + (r.y + 2) + "L" + (X + 4) + "," + (r.y + 2) + "L" + X + "," + (r.y + 8) + 'Z" fill="#0ea5e9"' + tipAttr(D.lanes[lane].id + " " + what + " at " + secs(at)) + "/>");
    });
  }

  function writeTip(w) {
    const [lane, inv, done, key, value, fate, node, discard, reply] = w;
    return "SET " + esc(key) + " " + esc(value) + " (" + fate + ")\n" + secs(inv) + " to " + secs(done) +
      "\nsent to " + (node || "nobody") + ", reply: " + esc(reply);
  }

  // A stall: a write outstanding over 1 s (sent, no reply yet), a bar from its sending to its
  // reply or timeout on its server's row, so a wait is never mistaken for a time with no writes.
  function stalls(out) {
    D.stalls.forEach(function (i) {
      const w = D.writes[i], [lane, inv, done, key, value, fate, node, discard, reply] = w;
      if (!visible(inv, done)) return;
      const s = subRow(lane, node), [X, W] = span(inv, done);
      const label = "stalled " + secs(done - inv);
      out.push('<g class="stall" data-w="' + i + '" data-node="' + esc(node) + '"' +
        tipAttr("SET " + esc(key) + " " + esc(value) + " waited " + secs(done - inv) + " for its reply\nsent to " + (esc(node) || "no server") +
          " at " + secs(inv) + ", reply at " + secs(done) + ": " + esc(reply) + " (" + fate + ")") + ">");
      out.push('<rect x="' + X + '" y="' + (s.y + 3) + '" width="' + Math.max(W, 2) + '" height="' + (s.h - 6) + '" rx="2" fill="url(#hatch-stall)" stroke="var(--stall)"/>');
      if (W > label.length * 6 + 10) out.push('<text class="stall-label" x="' + (X + 5) + '" y="' + (s.y + s.h / 2 + 3.5) + '">' + label + "</text>");
      out.push("</g>");
    });
  }

  function writes(out) {
    // One group per lane and server: each is drawn in its own row.
    const groups = {};
    D.writes.forEach(function (w, i) {
      if (w[2] < t0 || w[2] > t1) return;
      const g = w[0] + "\u0000" + w[6];
      (groups[g] = groups[g] || []).push(i);
    });
    Object.keys(groups).sort().forEach(function (g) {
      const list = groups[g], lane = D.writes[list[0]][0], node = D.writes[list[0]][6];
      const s = subRow(lane, node), attrs = ' data-node="' + esc(node) + '"';
      const dense = list.length / plotW() > 1 / 4;
      if (!dense) {
        list.forEach(function (i) {
          const w = D.writes[i], fate = w[5], X = x(w[2]).toFixed(1);
          const tall = fate === "lost" ? [1, s.h - 1] : fate === "refused" ? [7, s.h - 3] : [3, s.h - 3];
          out.push('<line class="write write-' + fate + '" data-w="' + i + '" data-key="' + esc(w[3]) + '"' + attrs + ' x1="' + X + '" x2="' + X + '" y1="' + (s.y + tall[0]) + '" y2="' + (s.y + tall[1]) +
            '" stroke="' + WRITE_COLOR[fate] + '" stroke-width="' + (fate === "lost" ? 3 : 2) + '"' + tipAttr(writeTip(w)) + "/>");
          if (fate === "lost") out.push('<line class="hit" data-w="' + i + '" x1="' + X + '" x2="' + X + '" y1="' + s.y + '" y2="' + (s.y + s.h) + '" stroke="transparent" stroke-width="9"' + tipAttr(writeTip(w)) + "/>");
        });
        return;
      }
      // Dense: 100% stacked columns of 4 px, one per bucket of time.
      const BW = 4, buckets = {};
      list.forEach(function (i) {
        const b = Math.floor((x(D.writes[i][2]) - LABEL_W) / BW);
        (buckets[b] = buckets[b] || []).push(i);
      });
      Object.keys(buckets).forEach(function (b) {
        const ids = buckets[b], n = ids.length, X = LABEL_W + b * BW;
        const count = {};
        ids.forEach(function (i) { count[D.writes[i][5]] = (count[D.writes[i][5]] || 0) + 1; });
        const first = D.writes[ids[0]], last = D.writes[ids[n - 1]];
        const parts = FATES.filter(function (f) { return count[f]; }).map(function (f) { return count[f] + " " + f; });
        const lostKeys = ids.filter(function (i) { return D.writes[i][5] === "lost"; }).map(function (i) { return D.writes[i][3]; });
        out.push('<g class="write-bucket' + (count.lost ? " has-lost" : "") + '" data-ws="' + ids.join(" ") + '" data-lost="' + (count.lost || 0) + '"' + attrs +
          (lostKeys.length ? ' data-keys="' + esc(lostKeys.join(" ")) + '"' : "") +
          tipAttr(n + " writes to " + (esc(node) || "no server") + ", " + secs(first[2]) + " to " + secs(last[2]) + ": " + parts.join(", ")) + ">");
        let yy = s.y + 1;
        const hh = s.h - 2;
        FATES.forEach(function (f) {
          if (!count[f]) return;
          const part = hh * count[f] / n;
          out.push('<rect x="' + X + '" y="' + yy.toFixed(1) + '" width="' + (BW - 1) + '" height="' + part.toFixed(1) + '" fill="' + WRITE_COLOR[f] + '"/>');
          yy += part;
        });
        out.push("</g>");
      });
    });
  }

  function defs() {
    return '<defs>' +
      '<pattern id="hatch-band" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="7" height="7" fill="#7e22ce" fill-opacity=".05"/><line x1="0" y1="0" x2="0" y2="7" stroke="#7e22ce" stroke-opacity=".16" stroke-width="3"/></pattern>' +
      '<pattern id="hatch-down" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f4f6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d1d5db" stroke-width="2"/></pattern>' +
      '<pattern id="hatch-paused" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#fbbf24" stroke-width="3"/></pattern>' +
      '<pattern id="hatch-stall" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde68a"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b45309" stroke-opacity=".5" stroke-width="2"/></pattern>' +
      '<pattern id="hatch-noreplicas" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#bfdbfe"/><line x1="0" y1="0" x2="0" y2="6" stroke="#2563eb" stroke-width="3"/></pattern>' +
      '<clipPath id="plot-area"><rect x="' + LABEL_W + '" y="0" width="' + plotW() + '" height="' + H + '"/></clipPath></defs>';
  }

  function render() {
    width = Math.max(640, svg.parentNode.clientWidth || 1200);
    tips.length = 0;
    const out = [defs()];
    hosts(out);
    axis(out);
    out.push('<g clip-path="url(#plot-area)">');
    grid(out);
    bands(out);
    splitBrain(out);
    roles(out);
    states(out);
    faults(out);
    promotions(out);
    marks(out);
    beliefs(out);
    stalls(out);
    writes(out);
    out.push("</g>");
    out.push('<line x1="' + LABEL_W + '" x2="' + LABEL_W + '" y1="' + AXIS_H + '" y2="' + (H - FOOT_H) + '" stroke="#cbd5e1"/>');
    svg.setAttribute("viewBox", "0 0 " + width + " " + H);
    svg.setAttribute("height", H);
    svg.innerHTML = out.join("");
    document.getElementById("range").textContent = "showing " + secs(t0) + " to " + secs(t1);
    const chosen = selected !== null && svg.querySelector('line.write[data-w="' + selected + '"]');
    if (chosen) {
      const ring = document.createElementNS(svg.namespaceURI, "circle");
      ring.setAttribute("class", "selected");
      ring.setAttribute("cx", chosen.getAttribute("x1"));
      ring.setAttribute("cy", chosen.getAttribute("y1"));
      ring.setAttribute("r", "5");
      svg.appendChild(ring);
    }
  }

  function zoomTo(a, b) {
    const minSpan = 1000;
    let lo = Math.max(0, a), hi = Math.min(D.end, b);
    if (hi - lo < minSpan) { const mid = (lo + hi) / 2; lo = Math.max(0, mid - minSpan / 2); hi = lo + minSpan; }
    t0 = lo; t1 = Math.max(hi, lo + 1);
    render();
  }
  function zoomBy(f, at) {
    const c = at === undefined ? (t0 + t1) / 2 : at;
    zoomTo(c - (c - t0) * f, c + (t1 - c) * f);
  }
  function timeAt(clientX) {
    const rect = svg.getBoundingClientRect();
    const px = (clientX - rect.left) * width / rect.width;
    return t0 + (px - LABEL_W) / plotW() * (t1 - t0);
  }

  function showStory(i) {
    const w = D.writes[i];
    const [lane, inv, done, key, value, fate, node, discard, reply] = w;
    selected = i;
    story.innerHTML = "<h2>Lost write: <code>SET " + esc(key) + " " + esc(value) + "</code></h2>" +
      "<p>Written by <b>" + esc(D.lanes[lane].id.replace(/^client\//, "")) + "</b> at " + secs(inv) +
      "; acknowledged with <code>" + esc(reply) + "</code> by <b>" + esc(node) + "</b> at " + secs(done) + ".</p>" +
      "<p>" + esc(capital(discard !== null ? D.discards[discard] : "")) + ".</p>" +
      '<p class="hint">It was acknowledged, so the application believed it durable; it is absent from the final master.</p>';
    story.dataset.key = key;
    render();
  }

  function showBucket(g) {
    const lost = g.getAttribute("data-ws").split(" ").map(Number).filter(function (i) { return D.writes[i][5] === "lost"; });
    if (lost.length === 1) return showStory(lost[0]);
    const first = D.writes[lost[0]];
    story.innerHTML = "<h2>" + lost.length + " lost writes</h2><p>" + esc(capital(first[7] !== null ? D.discards[first[7]] : "")) + ".</p><ul>" +
      lost.map(function (i) { const w = D.writes[i]; return '<li><a href="#" data-story="' + i + '"><code>SET ' + esc(w[3]) + "</code></a> acknowledged by " + esc(w[6]) + " at " + secs(w[2]) + "</li>"; }).join("") +
      "</ul>";
  }

  // ---- events
  listen(svg, "wheel", function (e) {
    e.preventDefault();
    zoomBy(Math.exp(e.deltaY * 0.0015), timeAt(e.clientX));
  }, { passive: false });
  let drag = null;
  // Dragging a band (when the page edits them): its body moves it, its last 8 px resize it.
  let bandDrag = null;
  if (opts.onBandEdit) svg.classList.add("bands-editable");
  listen(svg, "mousedown", function (e) {
    const band = opts.onBandEdit && e.target.closest("rect.band");
    if (band) {
      const i = +band.getAttribute("data-band"), rect = band.getBoundingClientRect();
      bandDrag = { i: i, x: e.clientX, from: D.bands[i][2], to: D.bands[i][3], end: e.clientX > rect.right - 8 };
      e.preventDefault();
      return;
    }
    drag = { x: e.clientX, t0: t0, t1: t1, moved: false };
  });
  function bandTimes(e) {
    const rect = svg.getBoundingClientRect();
    const dt = Math.round((e.clientX - bandDrag.x) * width / rect.width / plotW() * (t1 - t0) / 1e5) * 1e5;
    const len = bandDrag.to - bandDrag.from;
    if (bandDrag.end) return [bandDrag.from, Math.max(bandDrag.from + 1e5, Math.min(D.end, bandDrag.to + dt))];
    const from = Math.max(0, Math.min(D.end - len, bandDrag.from + dt));
    return [from, from + len];
  }
  listen(window, "mousemove", function (e) {
    if (bandDrag) {
      const [from, to] = bandTimes(e);
      D.bands[bandDrag.i][2] = from;
      D.bands[bandDrag.i][3] = to;
      bandDrag.moved = true;
      render();
      return;
    }
    if (!drag) return;
    const rect = svg.getBoundingClientRect();
    const dx = (e.clientX - drag.x) * width / rect.width;
    if (Math.abs(dx) > 3) { drag.moved = true; svg.classList.add("dragging"); }
    if (!drag.moved) return;
    const dt = dx / plotW() * (drag.t1 - drag.t0);
    let a = drag.t0 - dt, b = drag.t1 - dt;
    if (a < 0) { b -= a; a = 0; }
    if (b > D.end) { a -= b - D.end; b = D.end; }
    t0 = Math.max(0, a); t1 = b;
    render();
  });
  listen(window, "mouseup", function (e) {
    if (bandDrag) {
      const b = bandDrag, [from, to] = bandTimes(e);
      bandDrag = null;
      if (b.moved && (from !== b.from || to !== b.to)) opts.onBandEdit(b.i, from, to);
      return;
    }
    svg.classList.remove("dragging");
    setTimeout(function () { drag = null; }, 0);
  });
  listen(svg, "click", function (e) {
    if (drag && drag.moved) return;
    const w = e.target.closest("[data-w]");
    if (w && D.writes[+w.getAttribute("data-w")][5] === "lost") return showStory(+w.getAttribute("data-w"));
    const g = e.target.closest(".write-bucket.has-lost");
    if (g) return showBucket(g);
  });
  listen(story, "click", function (e) {
    const a = e.target.closest("[data-story]");
    if (a) { e.preventDefault(); showStory(+a.getAttribute("data-story")); }
  });
  listen(svg, "mousemove", function (e) {
    const el = e.target.closest("[data-tip]");
    if (!el || drag && drag.moved) { tip.hidden = true; return; }
    tip.innerHTML = tips[+el.getAttribute("data-tip")];
    tip.hidden = false;
    const left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = left + "px";
    tip.style.top = (e.clientY + 16) + "px";
  });
  listen(svg, "mouseleave", function () { tip.hidden = true; });
  listen(document.getElementById("zoom-in"), "click", function () { zoomBy(0.5); });
  listen(document.getElementById("zoom-out"), "click", function () { zoomBy(2); });
  listen(document.getElementById("zoom-fit"), "click", function () { zoomTo(0, D.end); });
  listen(window, "keydown", function (e) {
    if (e.target.closest && e.target.closest("input, textarea, select")) return;
    if (e.key === "+" || e.key === "=") zoomBy(0.5);
    else if (e.key === "-") zoomBy(2);
    else if (e.key === "0") zoomTo(0, D.end);
  });
  listen(window, "resize", render);

  // Buttons that jump to the moments a class would look at first.
  const moments = [];
  D.bands.forEach(function (b) { if (!moments.some(function (m) { return m[0] === b[2]; })) moments.push([b[2], "iptables " + D.hosts[b[0]]]); });
  D.faults.forEach(function (f) { moments.push([f[1], f[2] + " " + D.lanes[f[0]].id]); });
  D.promotions.forEach(function (p) { moments.push([p[1], "promotion " + D.lanes[p[0]].id]); });
  D.split.forEach(function (s) { moments.push([s[0], "split brain"]); });
  moments.sort(function (a, b) { return a[0] - b[0]; });
  document.getElementById("moments").innerHTML = moments.slice(0, 8).map(function (m) {
    return '<button type="button" class="moment" data-at="' + m[0] + '">' + esc(m[1]) + " (" + secs(m[0]) + ")</button>";
  }).join("");
  listen(document.getElementById("moments"), "click", function (e) {
    const b = e.target.closest("[data-at]");
    if (b) { const at = +b.getAttribute("data-at"); zoomTo(at - 4e6, at + 8e6); }
  });

  // `#t=20-35` (seconds) opens the page zoomed there, so a view can be shared as a link.
  const m = /^#t=([0-9.]+)-([0-9.]+)$/.exec(location.hash);
  if (m) zoomTo(parseFloat(m[1]) * 1e6, parseFloat(m[2]) * 1e6); else render();
  }
  window.redsimTimeline = mount;
  const embedded = document.getElementById("run-data");
  if (embedded) mount(JSON.parse(embedded.textContent), {});
})();
