// SPDX-License-Identifier: BSD-3-Clause
// Drives Debian's chromium (headless, playwright-core) against neptune's
// dashboard; run by tests/lab/test_dashboard.py:
//   node dashboard.mjs URL OUTDIR FAIL_CMD CLEAR_CMD
// Loads the page, waits for the three uplinks up, screenshots, runs
// FAIL_CMD (lab/fail isp1 upstream) and times until the page shows isp1
// down, screenshots, runs CLEAR_CMD and waits for isp1 up again. Prints
// one JSON object with what it saw; every request the page made is listed
// so the test can check nothing left the server.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, outdir, failCmd, clearCmd] = process.argv.slice(2);

// page.waitForFunction compiles its predicate in the page, which the
// dashboard's Content-Security-Policy (no eval) forbids: poll from here.
async function until(page, fn, timeout, what) {
	const end = Date.now() + timeout;
	for (;;) {
		if (await page.evaluate(fn).catch(() => false))
			return;
		if (Date.now() > end)
			throw new Error(`timed out after ${timeout} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}
mkdirSync(outdir, { recursive: true });
const out = { requests: [], console_errors: [], page_errors: [],
	failed: [] };
const browser = await chromium.launch({
	executablePath: "/usr/bin/chromium",
	headless: true,
	args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
	const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
	page.on("request", (r) => out.requests.push(r.url()));
	page.on("response", (r) => {
		if (r.status() >= 400)
			out.failed.push({ url: r.url(), status: r.status() });
	});
	page.on("console", (m) => {
		if (m.type() === "error")
			out.console_errors.push(m.text());
	});
	page.on("pageerror", (e) => out.page_errors.push(String(e)));

	const t0 = Date.now();
	await page.goto(url, { waitUntil: "load" });
	await until(page, () =>
		document.querySelectorAll("#uplinks tbody tr[data-state=up]").length === 3,
		20000, "three uplinks up");
	out.loaded_s = (Date.now() - t0) / 1000;
	out.uplinks = await page.$$eval("#uplinks tbody tr", (rows) =>
		rows.map((r) => ({ name: r.dataset.uplink, state: r.dataset.state,
			cells: [...r.cells].map((c) => c.textContent) })));
	out.ports = await page.$$eval("#ports tbody tr", (rows) =>
		rows.map((r) => r.dataset.port));
	// a few samples on the charts
	await until(page, () => {
		const ls = [...document.querySelectorAll("#chart-rtt polyline")];
		return ls.length === 3 && ls.every((l) =>
			l.getAttribute("points").split(" ").length >= 3);
	}, 10000, "three samples on each RTT line");
	out.chart_lines = await page.$$eval("#chart-rtt polyline", (ls) =>
		ls.map((l) => l.dataset.uplink));
	await page.selectOption("#f-uplink", "isp1");
	await until(page, () =>
		document.getElementById("flows-total").textContent.includes("match"),
		5000, "the flow filter answered");
	out.flows_total = await page.textContent("#flows-total");
	out.version = await page.textContent("#version");
	await page.screenshot({ path: `${outdir}/dashboard-up.png`, fullPage: true });

	execFileSync("sh", ["-c", failCmd], { stdio: "ignore" });
	const t1 = Date.now();
	await page.waitForSelector("#uplinks tr[data-uplink=isp1][data-state=down]",
		{ timeout: 15000 });
	out.down_after_s = (Date.now() - t1) / 1000;
	await until(page, () => [...document.querySelectorAll(
		"#events tbody tr")].some((r) => r.textContent.includes("isp1") &&
		r.textContent.includes("down")), 5000, "isp1's down event listed");
	out.pool_row = await page.textContent("#uplinks tr[data-uplink=isp1]");
	await page.screenshot({ path: `${outdir}/dashboard-isp1-down.png`, fullPage: true });

	execFileSync("sh", ["-c", clearCmd], { stdio: "ignore" });
	const t2 = Date.now();
	await page.waitForSelector("#uplinks tr[data-uplink=isp1][data-state=up]",
		{ timeout: 20000 });
	out.up_after_s = (Date.now() - t2) / 1000;
	out.ok = true;
} catch (e) {
	out.ok = false;
	out.error = String(e);
	try {
		out.events_text = await browser.contexts()[0].pages()[0]
			.textContent("#events");
		out.status_text = await browser.contexts()[0].pages()[0]
			.textContent("#status");
	} catch (e2) {
		/* the page is gone */
	}
} finally {
	await browser.close();
}
console.log(JSON.stringify(out));
