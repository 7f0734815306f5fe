// SPDX-License-Identifier: BSD-3-Clause
// neptune's dashboard: polls the read-only JSON of the show commands
// (/api/show/...) every second, draws the tables and the RTT/loss/jitter
// charts. No framework, no request anywhere but this server.
"use strict";

const POLL_MS = 1000;
const HISTORY = 120;			// samples kept per chart (2 minutes)
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#17becf"];

const history = {};			// uplink -> {t, rtt, loss, jitter}[]
const lastTraffic = {};			// uplink -> {t, tx, rx} bytes
let pool = [];

async function api(path) {
	const r = await fetch("/api/show/" + path, { cache: "no-store" });
	const body = await r.json();
	if (!r.ok)
		throw Object.assign(new Error(body.error || r.statusText),
			{ status: r.status });
	return body;
}

function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === "class")
			e.className = v;
		else if (k.startsWith("data-"))
			e.setAttribute(k, v);
		else
			e[k] = v;
	}
	for (const c of children)
		e.append(c instanceof Node ? c :
			c === null || c === undefined ? "" : String(c));
	return e;
}

function fill(tbody, rows) {
	tbody.replaceChildren(...rows);
}

const ms = (v) => (typeof v === "number" ? v.toFixed(2) + " ms" : "–");
const pct = (v) => (typeof v === "number" ? v.toFixed(1) + " %" : "–");

function bits(v) {
	if (typeof v !== "number" || !isFinite(v))
		return "–";
	const u = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
	let i = 0;
	while (v >= 1000 && i < u.length - 1) {
		v /= 1000;
		i++;
	}
	return v.toFixed(i ? 1 : 0) + " " + u[i];
}

function duration(s) {
	if (s < 120)
		return s + " s";
	if (s < 7200)
		return Math.floor(s / 60) + " min";
	return (s / 3600).toFixed(1) + " h";
}

function rates(u, now) {
	const prev = lastTraffic[u.name];
	lastTraffic[u.name] = { t: now, tx: u.tx_bytes, rx: u.rx_bytes };
	if (!prev || now <= prev.t || u.tx_bytes < prev.tx)
		return [NaN, NaN];
	const dt = (now - prev.t) / 1000;
	return [8 * (u.tx_bytes - prev.tx) / dt, 8 * (u.rx_bytes - prev.rx) / dt];
}

function renderUplinks(data) {
	const now = Date.now();
	pool = data.pool || [];
	const tbody = document.querySelector("#uplinks tbody");
	fill(tbody, data.uplinks.map((u) => {
		const [out, inn] = rates(u, now);
		const h = history[u.name] || (history[u.name] = []);
		h.push({ t: now, rtt: u.rtt_ms, loss: u.loss_pct,
			jitter: u.jitter_ms });
		while (h.length > HISTORY)
			h.shift();
		const usable = u.state === "up" && u.admin === "up";
		return el("tr", { "data-uplink": u.name, "data-state": u.state,
				"class": usable ? "up" : "down" },
			el("td", {}, u.name), el("td", {}, u.port),
			el("td", {}, u.role),
			el("td", { "class": "state " + u.state }, u.state),
			el("td", {}, u.admin), el("td", {}, u.weight),
			el("td", {}, pool.includes(u.name) ? "yes" : ""),
			el("td", {}, ms(u.rtt_ms)), el("td", {}, ms(u.jitter_ms)),
			el("td", {}, pct(u.loss_pct)), el("td", {}, u.flows),
			el("td", {}, bits(out)), el("td", {}, bits(inn)));
	}));
	const sel = document.getElementById("f-uplink");
	const have = [...sel.options].map((o) => o.value);
	for (const u of data.uplinks)
		if (!have.includes(u.name))
			sel.append(el("option", { value: u.name }, u.name));
	drawCharts(data.uplinks.map((u) => u.name));
}

const SVG = "http://www.w3.org/2000/svg";

function drawChart(id, key, names) {
	const svg = document.getElementById(id);
	const w = 600, h = 160, pad = 4;
	let max = 0;
	for (const n of names)
		for (const s of history[n] || [])
			if (typeof s[key] === "number" && s[key] > max)
				max = s[key];
	max = max > 0 ? max * 1.1 : 1;
	const now = Date.now(), span = HISTORY * POLL_MS;
	const kids = [];
	const label = document.createElementNS(SVG, "text");
	label.setAttribute("x", 4);
	label.setAttribute("y", 12);
	label.setAttribute("class", "axis");
	label.textContent = "max " + max.toFixed(2);
	kids.push(label);
	names.forEach((n, i) => {
		const pts = (history[n] || []).filter((s) =>
			typeof s[key] === "number").map((s) => {
			const x = w - ((now - s.t) / span) * w;
			const y = h - pad - (s[key] / max) * (h - 2 * pad);
			return x.toFixed(1) + "," + y.toFixed(1);
		});
		const line = document.createElementNS(SVG, "polyline");
		line.setAttribute("points", pts.join(" "));
		line.setAttribute("fill", "none");
		line.setAttribute("stroke", COLORS[i % COLORS.length]);
		line.setAttribute("stroke-width", "1.5");
		line.setAttribute("data-uplink", n);
		kids.push(line);
	});
	svg.replaceChildren(...kids);
}

function drawCharts(names) {
	drawChart("chart-rtt", "rtt", names);
	drawChart("chart-loss", "loss", names);
	drawChart("chart-jitter", "jitter", names);
	document.getElementById("legend").replaceChildren(...names.map((n, i) =>
		el("span", { "class": "key", style: "color:" +
			COLORS[i % COLORS.length] }, "■ " + n)));
}

function renderPorts(data) {
	fill(document.querySelector("#ports tbody"), data.ports.map((p) =>
		el("tr", { "data-port": p.name },
			el("td", {}, p.name), el("td", {}, p.role),
			el("td", { "class": "state " + (p.link.up ? "up" : "down") },
				p.link.up ? "up" : "down"),
			el("td", {}, p.mtu), el("td", {}, p.vrf),
			el("td", {}, (p.addresses || []).join(" ")))));
}

function flowQuery() {
	const q = new URLSearchParams();
	const up = document.getElementById("f-uplink").value;
	const proto = document.getElementById("f-proto").value;
	const port = document.getElementById("f-port").value;
	const limit = document.getElementById("f-limit").value || "50";
	if (up)
		q.set("uplink", up);
	if (proto)
		q.set("proto", proto);
	if (port)
		q.set("port", port);
	q.set("limit", limit);
	return "flows?" + q.toString();
}

function renderFlows(data) {
	document.getElementById("flows-total").textContent =
		data.total + " flow(s) match, " + data.flows.length + " shown";
	fill(document.querySelector("#flows tbody"), data.flows.map((f) =>
		el("tr", {},
			el("td", {}, f.src + (f.sport ? " :" + f.sport : "")),
			el("td", {}, f.dst + (f.dport ? " :" + f.dport : "")),
			el("td", {}, f.proto), el("td", {}, f.uplink),
			el("td", {}, f.policy || ""), el("td", {}, f.packets),
			el("td", {}, f.bytes), el("td", {}, duration(f.idle_s)))));
}

function renderEvents(ev, hooks) {
	const rows = (ev ? ev.events : []).map((e) => ({
		time: e.time, kind: "uplink " + e.to, subject: e.uplink,
		change: e.from + " → " + e.to, reason: e.reason }));
	for (const e of hooks ? hooks.recent : [])
		if (!e.kind.startsWith("uplink_up") &&
			!e.kind.startsWith("uplink_down") &&
			!e.kind.startsWith("uplink_unknown"))
			rows.push({ time: e.time, kind: e.kind.replace("_", " "),
				subject: e.subject,
				change: e.from ? e.from + " → " + e.to : e.to,
				reason: e.reason });
	rows.sort((a, b) => (a.time < b.time ? 1 : -1));
	fill(document.querySelector("#events tbody"), rows.slice(0, 50).map(
		(e) => el("tr", {}, el("td", {}, e.time), el("td", {}, e.kind),
			el("td", {}, e.subject), el("td", {}, e.change),
			el("td", {}, e.reason))));
}

function renderOverlays(data) {
	const rows = [];
	for (const o of data.overlays)
		for (const s of o.sites)
			for (const p of s.paths)
				rows.push(el("tr", { "data-state": p.state },
					el("td", {}, o.name), el("td", {}, s.site),
					el("td", {}, p.path), el("td", {}, p.uplink),
					el("td", { "class": "state " + p.state },
						p.state),
					el("td", {}, ms(p.rtt_ms)),
					el("td", {}, p.flows)));
	fill(document.querySelector("#overlays tbody"), rows);
}

function renderTunnels(data) {
	fill(document.querySelector("#tunnels tbody"), data.sessions.map((s) =>
		el("tr", { "data-state": s.state },
			el("td", {}, s.peer), el("td", {}, s.session),
			el("td", {}, s.uplink || ""),
			el("td", { "class": "state " + s.state }, s.state),
			el("td", {}, ms(s.rtt_ms)), el("td", {}, s.rx_packets),
			el("td", {}, s.tx_packets))));
}

function renderNat(data) {
	fill(document.querySelector("#nat44 tbody"), data.pools.map((p) =>
		el("tr", {}, el("td", {}, p.uplink), el("td", {}, p.address),
			el("td", {}, p.proto), el("td", {}, p.sessions),
			el("td", {}, p.ports_in_use))));
}

// A feature's section shows only when the feature answers.
async function optional(id, path, render) {
	const section = document.getElementById(id);
	try {
		render(await api(path));
		section.hidden = false;
	} catch (e) {
		section.hidden = true;
	}
}

async function poll() {
	const status = document.getElementById("status");
	try {
		const [up, ports, stats] = await Promise.all([api("uplinks"),
			api("ports"), api("stats")]);
		renderUplinks(up);
		renderPorts(ports);
		document.getElementById("uptime").textContent =
			"up " + duration(stats.uptime_s) + ", generation " +
			stats.generation;
		const [ev, hooks] = await Promise.all([
			api("events").catch(() => null),
			api("hooks").catch(() => null)]);
		renderEvents(ev, hooks);
		renderFlows(await api(flowQuery()));
		await Promise.all([
			optional("overlays-section", "overlays", renderOverlays),
			optional("tunnels-section", "tunnels", renderTunnels),
			optional("nat44-section", "nat44/summary", renderNat)]);
		status.textContent = "live · " + new Date().toLocaleTimeString();
		status.dataset.ok = "1";
	} catch (e) {
		status.textContent = "no answer: " + e.message;
		status.dataset.ok = "0";
	}
}

async function start() {
	try {
		const v = await api("version");
		document.getElementById("version").textContent =
			v.version + " · " + v.dpdk;
	} catch (e) {
		/* shown by the status line */
	}
	for (const id of ["f-uplink", "f-proto", "f-port", "f-limit"])
		document.getElementById(id).addEventListener("change", poll);
	await poll();
	setInterval(poll, POLL_MS);
}

start();
