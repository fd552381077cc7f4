// rareflow dashboard: a small script over the JSON API (no build step, no framework).
// Requests carry the sign-in cookie and the X-Rareflow header the API asks of the dashboard.
"use strict";

const rareflow = (() => {
  const JSON_HEADERS = { "Content-Type": "application/json", "X-Rareflow": "1" };

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: JSON_HEADERS,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.href = "/login";
      throw new Error("signed out");
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : null;
    return { ok: response.ok, status: response.status, data };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function errorText(result) {
    const d = result.data;
    if (d && typeof d.detail === "string") return d.detail;
    if (d && Array.isArray(d.detail)) return d.detail.map((e) => e.msg).join("; ");
    return `request failed (${result.status})`;
  }

  // -- home: scenarios and runs ---------------------------------------------------------------

  async function home() {
    const [scenarios, runs] = await Promise.all([
      api("GET", "/api/scenarios"),
      api("GET", "/api/runs"),
    ]);
    const sbody = document.querySelector("#scenario-list tbody");
    for (const s of scenarios.data) {
      const link = el("a", { href: `/scenarios/${encodeURIComponent(s.id)}`, text: s.name });
      sbody.append(
        el("tr", { "data-id": s.id },
          el("td", {}, link),
          el("td", { text: s.description }),
          el("td", { text: s.shipped ? "shipped example" : s.owner })),
      );
    }
    const rbody = document.querySelector("#run-list tbody");
    for (const r of runs.data) {
      const link = el("a", { href: `/runs/${r.id}`, text: r.id.slice(0, 8) });
      rbody.append(
        el("tr", {},
          el("td", {}, link),
          el("td", { text: r.scenario_name }),
          el("td", { text: r.status }),
          el("td", { text: r.created.replace("T", " ").slice(0, 19) })),
      );
    }
  }

  // -- scenario editor ------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function fillSelect(select, values, current) {
    select.replaceChildren(el("option", { value: "", text: "(none)" }));
    for (const v of values) select.append(el("option", { value: v, text: v }));
    if (current && !values.includes(current)) select.append(el("option", { value: current, text: current }));
    select.value = current || "";
  }

  async function column(table, name) {
    const r = await api("GET", `/api/reference/${table}?limit=100000`);
    return r.ok ? r.data.rows.map((row) => String(row[name])) : [];
  }

  function firstEvent(data, type) {
    return (data.events || []).find((e) => e && e.type === type);
  }

  function text(v) {
    return v === undefined || v === null ? "" : String(v);
  }

  async function editor() {
    const root = $("editor");
    let id = root.dataset.scenario;
    let detail = null;
    let data = { name: "my-scenario", base: "baseline", events: [] };
    let saved = "";
    let valid = false;
    const yaml = $("yaml");

    const [regions, agreements, facilities, sectors, shipped] = await Promise.all([
      column("regions", "code"),
      column("agreements", "agreement"),
      column("facilities", "facility"),
      column("sectors", "sector"),
      api("GET", "/api/scenarios"),
    ]);
    const stages = $("f-out-stage").dataset.values.split(",");
    const shippedIds = shipped.data.filter((s) => s.shipped).map((s) => s.id);

    if (id !== "new") {
      const r = await api("GET", `/api/scenarios/${encodeURIComponent(id)}`);
      if (!r.ok) {
        $("scenario-title").textContent = errorText(r);
        return;
      }
      detail = r.data;
      data = detail.data;
      yaml.value = detail.yaml;
      saved = detail.yaml;
    }

    function describe() {
      $("scenario-title").textContent = data.name || "New scenario";
      const note = $("scenario-note");
      if (!detail) note.textContent = "A new scenario: save it to keep it.";
      else if (!detail.editable)
        note.textContent = detail.shipped
          ? "A shipped example (read-only): saving or running a change keeps your own copy."
          : `Shared with you by ${detail.owner} (read-only): saving keeps your own copy.`;
      else note.textContent = "Your scenario.";
      $("delete").hidden = !(detail && detail.editable);
    }

    function formFromData() {
      $("f-name").value = text(data.name);
      fillSelect($("f-base"), shippedIds.filter((s) => s !== data.name), data.base);
      const ex = firstEvent(data, "export_licence") || {};
      fillSelect($("f-exporter"), regions, ex.exporter);
      $("f-materials").value = (ex.materials || []).join(", ");
      $("f-approval").value = text(ex.approval_share);
      $("f-delay").value = text(ex.delay);
      $("f-ex-start").value = text(ex.start);
      $("f-ex-end").value = text(ex.end);
      const ag = firstEvent(data, "agreement_suspend") || {};
      fillSelect($("f-agreement"), agreements, ag.agreement);
      $("f-ag-start").value = text(ag.start);
      $("f-ag-end").value = text(ag.end);
      $("f-ag-share").value = text(ag.share);
      const cap = firstEvent(data, "capacity") || {};
      fillSelect($("f-facility"), facilities, cap.facility);
      $("f-cap-material").value = text(cap.material);
      $("f-path").value = Object.entries(cap.path || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
      otherLeversFromData();
      const h = data.horizon || {};
      $("h-start").placeholder = text(h.start) || "2025-01";
      $("h-end").placeholder = text(h.end) || "2030-12";
    }

    function list(values) {
      return (values || []).join(", ");
    }

    // a demand factor shown as a change: 0.7 -> -0.3 (rounded: no 0.30000000000000004)
    function change(factor) {
      return factor === undefined || factor === null ? "" : String(Number((factor - 1).toFixed(9)));
    }

    function otherLeversFromData() {
      const out = firstEvent(data, "outage") || {};
      fillSelect($("f-out-facility"), facilities, out.facility);
      fillSelect($("f-out-region"), regions, out.region);
      fillSelect($("f-out-stage"), stages, out.stage);
      $("f-out-share").value = text(out.share);
      $("f-out-start").value = text(out.start);
      $("f-out-end").value = text(out.end);
      const dem = firstEvent(data, "demand") || {};
      fillSelect($("f-dem-region"), regions, dem.region);
      fillSelect($("f-dem-sector"), sectors, dem.sector);
      $("f-dem-change").value = change(dem.factor);
      $("f-dem-start").value = text(dem.start);
      const tar = firstEvent(data, "import_tariff") || {};
      fillSelect($("f-tar-importer"), regions, tar.importer);
      $("f-tar-origins").value = list(tar.origins);
      $("f-tar-materials").value = list(tar.materials);
      $("f-tar-rate").value = text(tar.rate);
      $("f-tar-start").value = text(tar.start);
    }

    function split(value) {
      return value.split(",").map((m) => m.trim()).filter(Boolean);
    }

    function otherLeversToData() {
      setEvent("outage", {
        facility: $("f-out-facility").value,
        region: $("f-out-region").value,
        stage: $("f-out-stage").value,
        share: number($("f-out-share").value),
        start: $("f-out-start").value.trim(),
        end: $("f-out-end").value.trim(),
      });
      const demand = {
        region: $("f-dem-region").value,
        sector: $("f-dem-sector").value,
        start: $("f-dem-start").value.trim(),
      };
      const delta = $("f-dem-change").value;
      // a change replaces a growth rate the event had: the schema takes one of the two
      if (delta !== "") Object.assign(demand, { factor: Number((1 + Number(delta)).toFixed(9)), growth: "" });
      else demand.factor = "";
      setEvent("demand", demand);
      const tariff = {
        importer: $("f-tar-importer").value,
        origins: split($("f-tar-origins").value),
        materials: split($("f-tar-materials").value),
        start: $("f-tar-start").value.trim(),
      };
      const rate = $("f-tar-rate").value;
      // a rate replaces a fixed amount the event had: the schema takes one of the two
      if (rate !== "") Object.assign(tariff, { rate: Number(rate), amount: "" });
      else tariff.rate = "";
      setEvent("import_tariff", tariff);
    }

    // set (or drop, when every value is empty) the first event of `type`
    function setEvent(type, fields) {
      data.events = data.events || [];
      const index = data.events.findIndex((e) => e && e.type === type);
      const event = index >= 0 ? { ...data.events[index] } : { type };
      let any = false;
      for (const [key, value] of Object.entries(fields)) {
        const empty = value === "" || value === null || (Array.isArray(value) && value.length === 0) ||
          (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
        if (empty) delete event[key];
        else {
          event[key] = value;
          any = true;
        }
      }
      if (index >= 0 && any) data.events[index] = event;
      else if (index >= 0) data.events.splice(index, 1);
      else if (any) data.events.push(event);
    }

    function number(value) {
      return value === "" ? "" : Number(value);
    }

    function dataFromForm() {
      data.name = $("f-name").value.trim();
      if ($("f-base").value) data.base = $("f-base").value;
      else delete data.base;
      const materials = $("f-materials").value.split(",").map((m) => m.trim()).filter(Boolean);
      setEvent("export_licence", {
        exporter: $("f-exporter").value,
        materials,
        approval_share: number($("f-approval").value),
        delay: $("f-delay").value.trim(),
        start: $("f-ex-start").value.trim(),
        end: $("f-ex-end").value.trim(),
      });
      setEvent("agreement_suspend", {
        agreement: $("f-agreement").value,
        start: $("f-ag-start").value.trim(),
        end: $("f-ag-end").value.trim(),
        share: number($("f-ag-share").value),
      });
      const path = {};
      for (const line of $("f-path").value.split("\n")) {
        const at = line.indexOf(":");
        if (at > 0) path[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
      setEvent("capacity", {
        facility: $("f-facility").value,
        material: $("f-cap-material").value.trim(),
        path,
      });
      otherLeversToData();
    }

    function gutter(badLine) {
      const lines = yaml.value.split("\n").length;
      const g = $("gutter");
      g.replaceChildren();
      for (let i = 1; i <= lines; i++) {
        g.append(el("span", { class: i === badLine ? "bad" : "", text: `${i}\n` }));
      }
      g.scrollTop = yaml.scrollTop;
    }

    async function validate(fromYaml) {
      const r = await api("POST", "/api/scenarios/validate", { yaml: yaml.value });
      const box = $("validation");
      if (!r.ok) {
        valid = false;
        box.className = "validation bad";
        box.textContent = errorText(r);
        gutter(null);
        return;
      }
      valid = r.data.valid;
      if (valid) {
        box.className = "validation ok";
        box.textContent = `valid: ${r.data.name}, ${r.data.events} events`;
        data = r.data.data;
        describe();
        if (fromYaml) formFromData();
        gutter(null);
      } else {
        box.className = "validation bad";
        box.textContent = r.data.problem.detail;
        gutter(r.data.problem.line);
      }
      yaml.setAttribute("aria-invalid", valid ? "false" : "true");
    }

    const validateSoon = debounce(() => validate(true), 300);
    yaml.addEventListener("input", () => {
      gutter(null);
      validateSoon();
    });
    yaml.addEventListener("scroll", () => ($("gutter").scrollTop = yaml.scrollTop));

    const renderSoon = debounce(async () => {
      dataFromForm();
      const r = await api("POST", "/api/scenarios/render", { data });
      if (r.ok) {
        yaml.value = r.data.yaml;
        await validate();
      }
    }, 250);
    // "input" only: a "change" fired when a field loses focus would overwrite YAML typed since
    for (const input of document.querySelectorAll(".levers input, .levers select, .levers textarea")) {
      input.addEventListener("input", renderSoon);
    }

    // store the editor's text: update one's own scenario, else keep a copy
    async function save() {
      if (detail && detail.editable) {
        const r = await api("PUT", `/api/scenarios/${id}`, { yaml: yaml.value });
        if (!r.ok) throw new Error(errorText(r));
        detail = r.data;
      } else {
        const r = await api("POST", "/api/scenarios", { yaml: yaml.value });
        if (!r.ok) throw new Error(errorText(r));
        detail = r.data;
        id = detail.id;
        history.replaceState(null, "", `/scenarios/${id}`);
      }
      saved = yaml.value;
      describe();
    }

    $("save").addEventListener("click", async () => {
      try {
        await save();
        $("validation").textContent = "saved";
      } catch (err) {
        $("validation").className = "validation bad";
        $("validation").textContent = err.message;
      }
    });

    $("delete").addEventListener("click", async () => {
      if (!detail || !detail.editable || !confirm(`Delete ${detail.name}?`)) return;
      const r = await api("DELETE", `/api/scenarios/${id}`);
      if (r.ok) window.location.href = "/";
    });

    $("run").addEventListener("click", async () => {
      const box = $("validation");
      try {
        if (!detail || yaml.value !== saved) await save();
        const body = { scenario_id: id, with_baseline: $("with-baseline").checked };
        const start = $("h-start").value.trim();
        const end = $("h-end").value.trim();
        if (start || end || $("h-step").value) {
          const h = data.horizon || {};
          body.horizon = {
            start: start || text(h.start),
            end: end || text(h.end),
            step: $("h-step").value || text(h.step) || "month",
          };
        }
        const r = await api("POST", "/api/runs", body);
        if (!r.ok) throw new Error(errorText(r));
        window.location.href = `/runs/${r.data.id}`;
      } catch (err) {
        box.className = "validation bad";
        box.textContent = err.message;
      }
    });

    describe();
    formFromData();
    if (id === "new") {
      dataFromForm();
      const r = await api("POST", "/api/scenarios/render", { data });
      yaml.value = r.data.yaml;
    }
    await validate();
    root.dataset.ready = "true";
  }

  // -- run: progress, charts, downloads --------------------------------------------------------

  const FINAL = ["done", "failed", "cancelled"];

  async function run() {
    const root = $("run");
    const id = root.dataset.run;
    let current = null;

    async function poll() {
      const r = await api("GET", `/api/runs/${id}`);
      if (!r.ok) {
        $("run-title").textContent = errorText(r);
        return;
      }
      current = r.data;
      $("run-title").textContent = `Run of ${current.scenario_name}`;
      $("run-status").textContent = current.status;
      $("run-label").textContent = current.progress_label;
      const bar = $("run-progress");
      bar.max = Math.max(current.progress_total, 1);
      bar.value = current.status === "done" ? bar.max : current.progress_done;
      $("run-error").textContent = current.error;
      $("cancel").hidden = FINAL.includes(current.status);
      if (current.status === "done") {
        const base = current.baseline_run_id;
        if (base) {
          const b = await api("GET", `/api/runs/${base}`);
          if (b.ok && !FINAL.includes(b.data.status)) {
            $("run-label").textContent = `waiting for the baseline (${b.data.status})`;
            setTimeout(poll, 1000);
            return;
          }
        }
        await results();
        return;
      }
      if (!FINAL.includes(current.status)) setTimeout(poll, 1000);
    }

    function plot(target, title, series, kind, yTitle) {
      const traces = series.map((s) => ({
        name: s.name,
        x: s.x,
        y: s.y,
        type: kind,
        mode: kind === "scatter" ? "lines+markers" : undefined,
      }));
      Plotly.newPlot(target, traces, {
        title: { text: title },
        xaxis: { type: "category" },
        yaxis: { title: { text: yTitle } },
        margin: { t: 48, l: 64, r: 16, b: 64 },
        barmode: "group",
      }, { displaylogo: false, responsive: true });
    }

    async function charts(region, material) {
      const params = new URLSearchParams();
      if (region) params.set("region", region);
      if (material) params.set("material", material);
      const r = await api("GET", `/api/runs/${id}/compare?${params}`);
      if (!r.ok) {
        $("run-error").textContent = errorText(r);
        return;
      }
      const c = r.data;
      plot("chart-unserved", "Unserved demand (t)", c.unserved, "scatter", "t");
      plot("chart-sectors", "Unserved demand by sector over the horizon (t)", c.unserved_by_sector, "bar", "t");
      plot("chart-price", `Price of ${c.material} in ${c.region} (USD/kg)`, c.price, "scatter", "USD/kg");
      fillSelect($("price-region"), c.regions, c.region);
      fillSelect($("price-material"), c.materials, c.material);
      root.dataset.charts = "ready";
    }

    async function results() {
      $("results").hidden = false;
      await charts(null, null);
      const change = () => charts($("price-region").value, $("price-material").value);
      $("price-region").addEventListener("change", change);
      $("price-material").addEventListener("change", change);
      const base = current.baseline_run_id;
      const against = base ? `?against=${base}` : "";
      const links = [
        ["report", `Report (HTML, works offline)`, `/api/runs/${id}/report${against}`],
        ["excel", "All tables (Excel)", `/api/runs/${id}/excel`],
      ];
      for (const table of ["flows", "trade", "prices", "shortfalls", "welfare"]) {
        links.push([`parquet-${table}`, `${table} (Parquet)`, `/api/runs/${id}/results/${table}?format=parquet`]);
      }
      const list = $("downloads");
      list.replaceChildren();
      for (const [key, label, href] of links) {
        list.append(el("li", {}, el("a", { href, id: `download-${key}`, download: "", text: label })));
      }
    }

    $("cancel").addEventListener("click", async () => {
      await api("POST", `/api/runs/${id}/cancel`);
      poll();
    });
    poll();
  }

  return { home, editor, run };
})();
