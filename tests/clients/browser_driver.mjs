// A headless Chromium (Debian's /usr/bin/chromium) driven with playwright-core, for the MCP App test
// (tests/integration/test_memory_view.py). One JSON command a line on stdin, one JSON answer a line on
// stdout: {"ok": true, "value": …} or {"ok": false, "error": "…"}. Selectors with "frame": true are
// looked up inside the App's iframe (#app). Every request the page and its frames make is recorded
// ("requests"), and so are console errors, page errors and CSP violations ("problems").
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const userDataDir = process.argv[2];
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath, args: FLAGS, headless: true, viewport: { width: 760, height: 640 },
});
const page = context.pages()[0] ?? (await context.newPage());
const requests = [];
const problems = [];
page.on("request", (r) => requests.push({ url: r.url(), frame: r.frame() === page.mainFrame() ? "host" : "app" }));
page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));

const where = (cmd) => (cmd.frame ? page.frameLocator("#app") : page);
const ops = {
  async open(cmd) {
    await page.setViewportSize(cmd.viewport ?? { width: 760, height: 640 });
    await page.emulateMedia({ colorScheme: cmd.colorScheme ?? "light" });
    await page.goto(cmd.url);
    return page.url();
  },
  async wait(cmd) {
    const locator = where(cmd).locator(cmd.selector);
    const target = cmd.text ? locator.filter({ hasText: cmd.text }).first() : locator.first();
    await target.waitFor({ state: cmd.state ?? "visible", timeout: cmd.timeout ?? 20000 });
    return true;
  },
  async click(cmd) {
    const locator = where(cmd).locator(cmd.selector);
    await (cmd.text ? locator.filter({ hasText: cmd.text }).first() : locator.first()).click({ timeout: 10000 });
    return true;
  },
  async fill(cmd) {
    await where(cmd).locator(cmd.selector).first().fill(cmd.value, { timeout: 10000 });
    return true;
  },
  async texts(cmd) {
    return await where(cmd).locator(cmd.selector).allTextContents();
  },
  async count(cmd) {
    return await where(cmd).locator(cmd.selector).count();
  },
  async attribute(cmd) {
    return await where(cmd).locator(cmd.selector).first().getAttribute(cmd.name);
  },
  async evaluate(cmd) {
    // In the App's frame (cross-origin: sandboxed), `expression` is a function of its <html> element.
    if (cmd.frame) {
      const fn = new Function(`return (${cmd.expression});`)();
      return await page.frameLocator("#app").locator("html").evaluate(fn);
    }
    return await page.evaluate(cmd.expression);
  },
  async resize(cmd) {
    await page.setViewportSize(cmd.viewport);
    return true;
  },
  async screenshot(cmd) {
    const target = cmd.selector ? page.locator(cmd.selector) : page;
    await target.screenshot({ path: cmd.path });
    return cmd.path;
  },
  async log() {
    return { requests, problems };
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.op === "close") break;
  try {
    const value = await ops[cmd.op](cmd);
    process.stdout.write(JSON.stringify({ ok: true, value }) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(error?.message ?? error) }) + "\n");
  }
}
await context.close();
