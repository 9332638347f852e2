// The playground's glue: loads the embedded module (base64, so the page works from file://),
// runs the scenario in the editor through its C ABI (pg_alloc, pg_run, pg_free; pg_last_panic
// after a trap), and shows the result with the timeline view (redsimTimeline). Settings, fault
// times and dragged bands rewrite the scenario's text and rerun it; the URL fragment carries the
// scenario and seed of a shared run. No network access.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("playground-data").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const editor = $("scenario"), gutter = $("gutter"), errorBox = $("error");
  let instance = null, module = null, name = DATA.scenarios[0].name, lessonIndex = 0, last = null;

  // ---- the module
  function wasmBytes() {
    const raw = atob($("wasm").textContent.trim()), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  async function load() {
    if (!module) module = await WebAssembly.compile(wasmBytes());
    instance = await WebAssembly.instantiate(module, {});
  }
  function put(e, text) {
    const bytes = new TextEncoder().encode(text), ptr = e.pg_alloc(bytes.length);
    new Uint8Array(e.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }
  function take(e, ptr) {
    const len = new DataView(e.memory.buffer).getUint32(ptr, true);
    const text = new TextDecoder().decode(new Uint8Array(e.memory.buffer, ptr + 4, len));
    e.pg_free(ptr, len + 4);
    return text;
  }
  // Calls `f(exports)`; a trap (a panic aborts on wasm32) becomes an error with the panic's
  // message, and a fresh instance replaces the broken one.
  async function guarded(f) {
    const e = instance.exports;
    try {
      return f(e);
    } catch (err) {
      let why = String(err);
      try { why = take(e, e.pg_last_panic()) || why; } catch (_) { /* the message is lost */ }
      await load();
      throw new Error("the simulator panicked: " + why);
    }
  }
  function simulate(e, text, seed) {
    const [np, nl] = put(e, name), [tp, tl] = put(e, text);
    const out = take(e, e.pg_run(np, nl, tp, tl, BigInt(seed), 1));
    e.pg_free(np, nl);
    e.pg_free(tp, tl);
    return JSON.parse(out);
  }

  // ---- the scenario's text: settings, fault times
  function lines() { return editor.value.split("\n"); }
  // The blocks of a table kind (`[[redis]]`): [first line, end line (excluded)].
  function blocks(ls, header) {
    const out = [];
    ls.forEach(function (l, i) {
      if (l.trim() === header) {
        let j = i + 1;
        while (j < ls.length && !/^\s*\[/.test(ls[j])) j++;
        out.push([i, j]);
      }
    });
    return out;
  }
  function keyRe(key) { return new RegExp("(^|[\\s{,])(\"?" + key + "\"?\\s*=\\s*)(\"[^\"]*\"|[^,}\\s]+)"); }
  function read(header, key) {
    const ls = lines();
    for (const [a, b] of blocks(ls, header)) for (let i = a; i < b; i++) {
      const m = keyRe(key).exec(ls[i]);
      if (m) return m[3].replace(/"/g, "");
    }
    return "";
  }
  // Sets `key = value` in the `config` of every block of `header`: replaced where it is written,
  // else added to the block's `config = { ... }`, else a `config` line is added after the header.
  function setConfig(header, key, value) {
    const ls = lines();
    blocks(ls, header).reverse().forEach(function (ab) {
      const [a, b] = ab;
      for (let i = a; i < b; i++) if (keyRe(key).test(ls[i])) { ls[i] = ls[i].replace(keyRe(key), "$1$2" + value); return; }
      for (let i = a; i < b; i++) if (/^\s*config\s*=\s*\{/.test(ls[i])) { ls[i] = ls[i].replace(/\{\s*/, "{ " + key + " = " + value + ", "); return; }
      ls.splice(a + 1, 0, "config = { " + key + " = " + value + " }");
    });
    editor.value = ls.join("\n");
  }
  // The library of the sentinel clients (the `[[client]]` blocks with `sentinels`): the one
  // they share, "mixed", or "" when there is none.
  function sentinelBlocks(ls) {
    return blocks(ls, "[[client]]").filter(function (ab) { return ls.slice(ab[0], ab[1]).some(function (l) { return /^\s*sentinels\s*=/.test(l); }); });
  }
  function libraryOf(ls, ab) {
    for (let i = ab[0]; i < ab[1]; i++) { const m = /^\s*library\s*=\s*"([^"]*)"/.exec(ls[i]); if (m) return m[1]; }
    return "redis-py";
  }
  function readLibrary() {
    const ls = lines(), libs = sentinelBlocks(ls).map(function (ab) { return libraryOf(ls, ab); });
    if (!libs.length) return "";
    return libs.every(function (l) { return l === libs[0]; }) ? libs[0] : "mixed";
  }
  // Every sentinel client runs `library`: its `library` line set (none for redis-py, the
  // default), its `library-version` dropped, and so are the settings only another library takes.
  function setLibrary(library) {
    const ls = lines(), own = {}, foreign = {};
    DATA.libraries.forEach(function (l) { l.keys.forEach(function (k) { (l.name === library ? own : foreign)[k] = true; }); });
    const keyOf = function (l) { const m = /^\s*"?([A-Za-z0-9_.-]+)"?\s*=/.exec(l); return m ? m[1] : ""; };
    sentinelBlocks(ls).reverse().forEach(function (ab) {
      const keep = [];
      for (let i = ab[0] + 1; i < ab[1]; i++) {
        const k = keyOf(ls[i]);
        if (k === "library" || k === "library-version" || (foreign[k] && !own[k])) continue;
        keep.push(ls[i]);
      }
      const at = keep.findIndex(function (l) { return keyOf(l) === "host"; }) + 1;
      if (library !== "redis-py") keep.splice(at, 0, 'library = "' + library + '"');
      ls.splice.apply(ls, [ab[0] + 1, ab[1] - ab[0] - 1].concat(keep));
    });
    editor.value = ls.join("\n");
  }
  function setQuorum(q) {
    editor.value = editor.value.replace(/("sentinel monitor"\s*=\s*"\s*\S+\s+\S+\s+\d+\s+)\d+/g, "$1" + q);
  }
  // Times as the scenario writes them ("1m30s", "2s500ms") in µs, and back.
  function parseTime(t) {
    let us = 0;
    const re = /(\d+)\s*(us|ms|s|m|h)/g, unit = { us: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 };
    let m;
    while ((m = re.exec(t))) us += +m[1] * unit[m[2]];
    return us;
  }
  function formatTime(us) {
    us = Math.max(0, Math.round(us / 1000) * 1000);
    return us % 1e6 === 0 ? us / 1e6 + "s" : us / 1e3 + "ms";
  }
  // The `[[event]]` blocks: where their `at` line is, when, and what they do.
  function events() {
    const ls = lines();
    return blocks(ls, "[[event]]").map(function (ab) {
      const [a, b] = ab, ev = { atLine: -1, at: 0, what: "", on: "", iptables: "" };
      for (let i = a + 1; i < b; i++) {
        const m = /^\s*([\w-]+)\s*=\s*(.*?)\s*(#.*)?$/.exec(ls[i]);
        if (!m) continue;
        const value = m[2].replace(/^"(.*)"$/, "$1");
        if (m[1] === "at") { ev.atLine = i; ev.at = parseTime(value); }
        else if (m[1] === "on") ev.on = value;
        else { if (m[1] === "iptables") ev.iptables = value; if (!ev.what) ev.what = m[1] + " = " + m[2]; }
      }
      return ev;
    }).filter(function (ev) { return ev.atLine >= 0; });
  }
  function setAt(ev, us) {
    const ls = lines();
    ls[ev.atLine] = ls[ev.atLine].replace(/=\s*"[^"]*"/, '= "' + formatTime(us) + '"');
    editor.value = ls.join("\n");
  }
  // A band dragged to [from, to] (µs): the event that installed its rule moves to `from`; the one
  // that removed it (a `-D`, a `-F`, a heal on its host at its end) to `to`, or one is added.
  function editBand(band, from, to) {
    const [host, rule, from0, to0] = band, hostName = last.timeline.hosts[host], evs = events();
    const start = evs.find(function (e) { return e.iptables === rule && e.on === hostName && e.at === from0; });
    const end = evs.find(function (e) {
      return e.at === to0 && (e.on === hostName && /^-(D|F)\b/.test(e.iptables) || /^heal\b/.test(e.what));
    });
    if (end && to !== to0) setAt(end, to);
    if (start && from !== from0) setAt(start, from);
    if (!end && to < last.timeline.end) {
      const del = rule.replace(/^-[AI]\s+(\S+)(\s+\d+)?/, "-D $1");
      editor.value = editor.value.replace(/\s*$/, "\n") + '\n[[event]]\nat = "' + formatTime(to) + '"\niptables = "' + del + '"\non = "' + hostName + '"\n';
    }
    rerun();
  }

  // ---- the page
  function showError(e) {
    errorBox.hidden = false;
    errorBox.textContent = e.message;
    errorBox.dataset.line = e.line || 0;
    drawGutter(e.line || 0);
    if (e.line) {
      const ls = lines(), at = ls.slice(0, e.line - 1).join("\n").length + (e.line > 1 ? 1 : 0);
      editor.setSelectionRange(at, at + (ls[e.line - 1] || "").length);
      editor.scrollTop = Math.max(0, (e.line - 5) * 16);
      gutter.scrollTop = editor.scrollTop;
    }
  }
  function drawGutter(bad) {
    const n = lines().length, out = [];
    for (let i = 1; i <= n; i++) out.push(i === bad ? '<span class="err" data-line="' + i + '">' + i + "</span>" : String(i));
    gutter.innerHTML = out.join("\n") + "\n";
  }
  // A lesson's text: `code` spans as code, the rest as text.
  function prose(s) { return esc(s.trim()).replace(/`([^`]*)`/g, "<code>$1</code>"); }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }

  function showSettings() {
    $("set-down-after").value = read("[[sentinel]]", "down-after-milliseconds");
    const monitor = /"sentinel monitor"\s*=\s*"\s*\S+\s+\S+\s+\d+\s+(\d+)/.exec(editor.value);
    $("set-quorum").value = monitor ? monitor[1] : "";
    $("set-min-replicas").value = read("[[redis]]", "min-replicas-to-write") || "0";
    const library = readLibrary();
    $("set-library").disabled = !library;
    $("set-library").value = library;
    $("faults").innerHTML = events().map(function (ev, i) {
      return '<label><input type="number" min="0" step="500" data-event="' + i + '" value="' + ev.at / 1000 + '"> <code>' + esc(ev.what) + "</code>" +
        (ev.on ? " on " + esc(ev.on) : "") + "</label>";
    }).join("");
  }

  function show(r, ms) {
    last = r;
    const o = r.outcome;
    $("promotions").textContent = o.promotions.length ? o.promotions.map(function (p) { return p.node + " at " + (p.at_ms / 1000).toFixed(3) + "s"; }).join(", ") : "none";
    $("final-master").textContent = o.final_master || "none";
    $("lost").textContent = o.writes.lost + (o.writes.lost_keys.indexOf("iwas") >= 0 ? " (iwas among them)" : "");
    $("lost").dataset.count = o.writes.lost;
    $("failed").textContent = o.writes.failed + " / " + o.writes.indeterminate;
    $("expectations").textContent = o.expectations.passed ? "all " + o.expectations.checked + " hold" : o.expectations.failures.length + " failed";
    $("digest").textContent = r.trace_digest;
    $("timing").textContent = ms.toFixed(0) + " ms";
    $("timing").dataset.ms = ms.toFixed(1);
    $("repro").textContent = "redsim run traces/" + name + " --seed " + r.seed + " --json";
    $("summary").textContent = r.summary;
    $("explanation").textContent = r.explanation;
    $("story").innerHTML = "<h2>Lost writes</h2><p>Click a red tick (a write that was acknowledged and then lost) to see its story.</p>";
    const bands = r.timeline.bands.map(function (b) { return b.slice(); });
    window.redsimTimeline(r.timeline, { onBandEdit: function (i, from, to) { editBand(bands[i], from, to); } });
  }

  let running = Promise.resolve();
  // Runs the editor's scenario with the seed field's seed; results or errors shown. Runs queue.
  function rerun() {
    running = running.then(async function () {
      const seed = Math.max(0, Math.floor(+$("seed").value || 0));
      errorBox.hidden = true;
      drawGutter(0);
      showSettings();
      try {
        const t = performance.now();
        const r = await guarded(function (e) { return simulate(e, editor.value, seed); });
        const ms = performance.now() - t;
        if (!r.ok) return showError(r.error);
        show(r, ms);
        share();
      } catch (err) {
        showError({ message: String(err.message || err), line: 0 });
      }
    });
    return running;
  }

  // ---- choosing what to run
  function pick(scenario, seed) {
    const s = DATA.scenarios.find(function (x) { return x.name === scenario; }) || DATA.scenarios[0];
    name = s.name;
    $("scenario-pick").value = name;
    editor.value = s.text;
    const own = /^seed\s*=\s*(\d+)/m.exec(s.text);
    $("seed").value = seed !== undefined ? seed : own ? own[1] : 1;
  }
  function showLesson(i) {
    lessonIndex = Math.max(0, Math.min(DATA.lessons.length - 1, i));
    const l = DATA.lessons[lessonIndex];
    $("lesson-pick").value = lessonIndex;
    $("lesson-title").textContent = (lessonIndex + 1) + ". " + l.title;
    $("lesson-text").innerHTML = prose(l.text);
    $("lesson-question").innerHTML = prose(l.question);
    $("lesson-answer").innerHTML = prose(l.answer);
    $("lesson-answer-box").open = false;
    pick(l.scenario, l.seed);
  }

  // ---- share links: #n=NAME&seed=N&s=BASE64URL(UTF-8 text)
  function toB64(text) {
    const bytes = new TextEncoder().encode(text);
    let raw = "";
    for (let i = 0; i < bytes.length; i += 0x8000) raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fromB64(b) {
    const raw = atob(b.replace(/-/g, "+").replace(/_/g, "/")), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }
  function share() {
    const hash = "#n=" + encodeURIComponent(name) + "&seed=" + $("seed").value + "&s=" + toB64(editor.value);
    $("share-link").value = location.href.replace(/#.*$/, "") + hash;
    history.replaceState(null, "", hash);
  }
  function fromLink() {
    const p = new URLSearchParams(location.hash.slice(1));
    if (!p.get("s")) return false;
    try {
      name = p.get("n") || name;
      $("scenario-pick").value = name;
      editor.value = fromB64(p.get("s"));
      $("seed").value = p.get("seed") || 1;
    } catch (err) {
      showError({ message: "this link's scenario cannot be read: " + err, line: 0 });
    }
    return true;
  }

  // ---- controls
  $("scenario-pick").innerHTML = DATA.scenarios.map(function (s) { return '<option value="' + esc(s.name) + '">' + esc(s.name) + "</option>"; }).join("");
  $("lesson-pick").innerHTML = DATA.lessons.map(function (l, i) { return '<option value="' + i + '">' + (i + 1) + ". " + esc(l.title) + "</option>"; }).join("");
  $("scenario-pick").addEventListener("change", function (e) { pick(e.target.value); rerun(); });
  $("lesson-pick").addEventListener("change", function (e) { showLesson(+e.target.value); rerun(); });
  $("lesson-prev").addEventListener("click", function () { showLesson(lessonIndex - 1); rerun(); });
  $("lesson-next").addEventListener("click", function () { showLesson(lessonIndex + 1); rerun(); });
  $("run").addEventListener("click", rerun);
  $("seed").addEventListener("change", rerun);
  $("random-seed").addEventListener("click", function () {
    $("seed").value = Math.floor(Math.random() * 4294967296);
    rerun();
  });
  $("set-down-after").addEventListener("change", function (e) { if (+e.target.value > 0) { setConfig("[[sentinel]]", "down-after-milliseconds", Math.floor(+e.target.value)); rerun(); } });
  $("set-library").innerHTML = '<option value="" hidden>no sentinel client</option><option value="mixed" hidden>mixed</option>' +
    DATA.libraries.map(function (l) { return '<option value="' + esc(l.name) + '">' + esc(l.name) + "</option>"; }).join("");
  $("set-library").addEventListener("change", function (e) { if (e.target.value && e.target.value !== "mixed") { setLibrary(e.target.value); rerun(); } });
  $("set-quorum").addEventListener("change", function (e) { if (+e.target.value > 0) { setQuorum(Math.floor(+e.target.value)); rerun(); } });
  $("set-min-replicas").addEventListener("change", function (e) { if (+e.target.value >= 0) { setConfig("[[redis]]", "min-replicas-to-write", Math.floor(+e.target.value)); rerun(); } });
  $("faults").addEventListener("change", function (e) {
    const i = e.target.getAttribute("data-event"), ev = events()[+i];
    if (ev && +e.target.value >= 0) { setAt(ev, +e.target.value * 1000); rerun(); }
  });
  $("share").addEventListener("click", function () {
    share();
    $("share-link").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("share-link").value).catch(function () { /* selected: copy by hand */ });
  });
  editor.addEventListener("input", function () { drawGutter(0); });
  editor.addEventListener("scroll", function () { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener("keydown", function (e) { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) rerun(); });

  // For scripts (the browser check): run a text as a named scenario with a seed.
  window.playground = {
    run: function (scenario, text, seed) { name = scenario; $("scenario-pick").value = scenario; editor.value = text; $("seed").value = seed; return rerun(); },
    panic: function () { return guarded(function (e) { e.pg_panic(); }).catch(function (err) { showError({ message: err.message, line: 0 }); }); },
    result: function () { return last; },
  };

  // On load: the shared run, or the first lesson.
  showLesson(0);
  fromLink();
  load().then(rerun, function (err) { showError({ message: "the simulator could not be loaded: " + err, line: 0 }); });
})();
