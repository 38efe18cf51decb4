/**
 * The console in a real browser (Debian's chromium driven by playwright-core) against the whole
 * stack in this process — real services, PostgreSQL, Redis and HTTP: sign in, create a key and
 * see its secret once, use it through a proxied route and find the request in the log explorer
 * and on its chart, revoke it and see the proxy refuse it within a second, create a webhook
 * endpoint, send it an event and see the delivery and its attempt, sign out and find the session
 * dead. axe-core checks every page (no serious or critical violation) on a laptop and a phone.
 */
import { createServer, type Server } from "node:http";
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { eventually } from "@datahub/runtime/testing";
import { call, startStack, startUpstream, type Stack } from "../support/stack";
import { axeViolations, launchChromium } from "./support/chromium";
import { ensureConsoleBuild, SCREENSHOT_DIR } from "./support/console-build";

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let receiver: { url: string; server: Server; hits: number };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleUrl: string;
const pageErrors: string[] = [];

/** Saves a screenshot for docs/console.md when asked to (DATAHUB_CONSOLE_SCREENSHOTS=1). */
async function shot(name: string, p: Page = page): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await p.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}

/** Runs axe on the page as it is now; fails listing the serious and critical violations. */
async function accessible(label: string, p: Page = page): Promise<void> {
  expect([label, await axeViolations(p)]).toEqual([label, []]);
}

beforeAll(async () => {
  ensureConsoleBuild();
  upstream = await startUpstream();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      receiver.hits++;
      res.writeHead(200, { "content-type": "text/plain" }).end("received by the test receiver");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  receiver = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, server, hits: 0 };
  stack = await startStack({
    routes: `
routes:
  - name: orders
    path: /api/orders
    upstream: ${upstream.url}
    scopes: [orders:read]
`,
    env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8", DATAHUB_AUDIT_FLUSH_MS: "50" },
  });
  consoleUrl = `${stack.edgeUrl}/console/`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Shorter than jest's own timeout, so a missing element fails with playwright's message.
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await upstream?.close();
  await new Promise<void>((r) => (receiver ? receiver.server.close(() => r()) : r()));
});

describe("the console in a browser", () => {
  let keyId = "";
  let secret = "";

  it("refuses a wrong key with a message, then signs in with the root key", async () => {
    await page.goto(consoleUrl);
    await page.getByLabel("API key").waitFor();
    await expect(page.title()).resolves.toBe("Sign in · DataHub console");
    await accessible("sign-in");
    await shot("sign-in");
    await page.getByLabel("API key").fill("dh_not_a_real_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("That API key is not valid").waitFor();
    await expect(page.getByLabel("API key").inputValue()).resolves.toBe("");
    await page.getByLabel("API key").fill(stack.rootKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    // The key is nowhere the page keeps things.
    // (Expressions as strings: this file is compiled without the DOM's types.)
    const stored = await page.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href + document.cookie");
    expect(stored).not.toContain(stack.rootKey);
    await page.getByRole("cell", { name: "serving" }).first().waitFor();
    await page.getByRole("rowheader", { name: "orders" }).waitFor();
    await accessible("overview");
    await shot("overview");
  });

  it("creates a key and shows its secret once", async () => {
    await page.getByRole("link", { name: "Keys" }).click();
    await page.getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create key" });
    await dialog.getByLabel("Name").fill("browser app");
    await dialog.getByLabel("Scopes").fill("orders:read");
    await accessible("create key dialog");
    await shot("key-create");
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    const output = page.getByLabel("New API key secret");
    secret = (await output.textContent()) ?? "";
    expect(secret).toMatch(/^dh_[0-9A-Za-z]{38}$/);
    await accessible("secret dialog");
    await shot("key-secret");
    await page.getByRole("button", { name: "I have stored it" }).click();
    await expect(page.content()).resolves.not.toContain(secret);
    await page.getByRole("link", { name: "browser app" }).click();
    await page.getByRole("heading", { name: "Key browser app" }).waitFor();
    keyId = new URL(page.url()).pathname.split("/").pop()!;
    await expect(page.content()).resolves.not.toContain(secret);
  });

  it("shows the key's proxied request in the log explorer and on its chart", async () => {
    const proxied = await call(stack.edgeUrl, "GET", "/api/orders/42", { key: secret });
    expect(proxied.status).toBe(200);
    const requestId = proxied.headers.get("x-request-id")!;
    // The request log is shipped in batches: reload the logs page until the record is there.
    await eventually(async () => {
      await page.goto(`${consoleUrl}logs?keyId=${keyId}`);
      await page.getByRole("cell", { name: "/api/orders/42" }).waitFor({ timeout: 500 });
      return true;
    }, 10_000, 200);
    await accessible("logs");
    await shot("logs");
    await page.getByRole("row", { name: /\/api\/orders\/42/ }).getByRole("link").click();
    await page.getByRole("heading", { name: "Request", level: 1 }).waitFor();
    await page.getByText(requestId).waitFor();
    await page.getByText("waiting on the upstream").waitFor();
    await accessible("request detail");
    await shot("log-detail");

    // Usage is read once per page load: load the key's page until its chart counts the request.
    await eventually(async () => {
      await page.goto(`${consoleUrl}keys/${keyId}`);
      await page.getByRole("img", { name: /Requests, errors and 429s\. Requests: total 1,/ }).waitFor({ timeout: 1_000 });
      return true;
    }, 10_000, 200);
    const stat = page.locator(".stats div", { hasText: "Requests" }).getByRole("definition");
    await expect(stat.textContent()).resolves.toBe("1");
    await page.getByRole("rowheader").first().waitFor();
    await accessible("key page");
    await shot("key");
  });

  it("revokes the key, and the proxy refuses it within a second", async () => {
    await page.getByRole("button", { name: "Revoke" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke key browser app?" });
    await accessible("revoke confirmation");
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    const revokedAt = Date.now();
    await page.getByRole("heading", { name: "Keys", level: 1 }).waitFor();
    await eventually(async () => (await call(stack.edgeUrl, "GET", "/api/orders/1", { key: secret })).status === 401, 1_000, 25);
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
  });

  it("creates a webhook endpoint, sends it a test event, and shows the delivery and its attempt", async () => {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("button", { name: "Create endpoint" }).click();
    const dialog = page.getByRole("dialog", { name: "Create webhook endpoint" });
    await dialog.getByLabel("URL").fill(receiver.url);
    await dialog.getByLabel("Events").fill("order.*");
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    expect(await page.getByLabel("New webhook signing secret").textContent()).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "I have stored it" }).click();
    await accessible("webhooks");
    await shot("webhooks");
    await page.getByRole("link", { name: receiver.url }).click();
    await page.getByRole("heading", { name: "Webhook endpoint" }).waitFor();
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByRole("status").getByText(/Test event .* sent/).waitFor();
    await eventually(async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      await page.getByRole("cell", { name: "succeeded" }).waitFor({ timeout: 500 });
      return true;
    }, 10_000, 200);
    expect(receiver.hits).toBeGreaterThanOrEqual(1);
    await page.getByRole("button", { name: "Attempts" }).first().click();
    await page.getByRole("cell", { name: "received by the test receiver" }).waitFor();
    await page.getByRole("rowheader", { name: "1", exact: true }).waitFor();
    await accessible("webhook endpoint");
    await shot("webhook");
  });

  it("shows orgs to a root key", async () => {
    await page.getByRole("link", { name: "Orgs" }).click();
    await page.getByLabel("New org name").fill("browser org");
    await page.getByRole("button", { name: "Create org" }).click();
    await page.getByRole("rowheader", { name: "browser org" }).waitFor();
    await accessible("orgs");
    await shot("orgs");
  });

  it("is usable and accessible on a phone", async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 375, height: 812 });
    for (const path of ["", "keys", "logs", "webhooks"]) {
      await phone.goto(consoleUrl + path);
      await phone.getByRole("heading", { level: 1 }).waitFor();
      await accessible(`phone ${path || "overview"}`, phone);
      // Nothing wider than the screen but the tables' own scroll boxes.
      const overflow = await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect([path, overflow <= 1]).toEqual([path, true]);
      if (path === "") await shot("phone-overview", phone);
    }
    await phone.close();
  });

  it("signs out, and the old session is dead on the server", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "datahub_console")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("status").getByText("You are signed out.").waitFor();
    const replay = await call(stack.edgeUrl, "GET", "/console/api/v1/keys", { headers: { cookie: `datahub_console=${cookie.value}` } });
    expect(replay.status).toBe(401);
    expect(pageErrors).toEqual([]);
  });
});

describe("the console with a limited key and a dead session", () => {
  it("hides what the key may not do, explains refusals, and sends an ended session back to sign-in", async () => {
    const logsOnly = await call(stack.edgeUrl, "POST", "/v1/keys", { key: stack.rootKey, body: { name: "auditor", scopes: ["logs:read"] } });
    const ctx = await browser.newContext();
    ctx.setDefaultTimeout(10_000);
    const p = await ctx.newPage();
    await p.goto(consoleUrl);
    await p.getByLabel("API key").fill(logsOnly.json.key);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await p.getByText("Your key cannot see the routes").waitFor();
    const nav = await p.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents();
    expect(nav).toEqual(["Overview", "Logs"]);
    // A page the key may not use, opened by URL: the API's refusal, in words.
    await p.goto(`${consoleUrl}keys`);
    await p.getByRole("alert").getByText("Not allowed").waitFor();
    await accessible("refused page", p);
    // The key is revoked elsewhere: the next call ends the session, with a message.
    await call(stack.edgeUrl, "DELETE", `/v1/keys/${logsOnly.json.id}`, { key: stack.rootKey });
    await p.getByRole("link", { name: "Logs" }).click();
    await p.getByText("Your session ended; sign in again.").waitFor();
    await ctx.close();
  });
});
