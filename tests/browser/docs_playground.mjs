// Opens the /api/docs page in headless Chromium (Debian's, driven by playwright-core), pastes
// an API key and its HMAC secret, and presses Send on health, balance and a signed top-up,
// reading what the page shows. Prints one JSON line with what it saw; exits 1 on a mismatch
// or on any console error or uncaught exception.
// A screenshot of the page after the three calls is written to SCREENSHOT.
//
//   node docs_playground.mjs BASE_URL API_KEY SECRET NETWORK SCREENSHOT
import { chromium } from "playwright-core";

const [base, apiKey, secret, network, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const seen = { external_requests: [], console_errors: [], failed_responses: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  page.on("request", (r) => {
    if (!r.url().startsWith(base)) seen.external_requests.push(r.url());
  });
  page.on("console", (m) => {
    if (m.type() === "error") seen.console_errors.push(m.text());
  });
  // The console says "Failed to load resource" without the address: keep it here.
  page.on("response", (r) => {
    if (r.status() >= 400) seen.failed_responses.push(r.status() + " " + r.url());
  });
  // An uncaught exception is not a console message; it is an error of the page all the same.
  page.on("pageerror", (e) => seen.console_errors.push("uncaught: " + e.message));
  await page.goto(base + "/api/docs");
  await page.waitForSelector("#op-getHealth");
  await page.fill("#api-key", apiKey);
  await page.fill("#api-secret", secret);

  async function send(operationId, body) {
    const card = page.locator("#op-" + operationId);
    if (body !== undefined) await card.locator("textarea").fill(JSON.stringify(body));
    await card.locator("button.send").click();
    const status = card.locator(".result [data-status]");
    await status.waitFor({ timeout: 10000 });
    return {
      status: Number(await status.getAttribute("data-status")),
      text: await card.locator(".result").innerText(),
    };
  }

  seen.health = await send("getHealth");
  seen.balance = await send("getBalance");
  seen.topup = await send("createTopup", { amount_usdt: 12.5, network });
  await page.screenshot({ path: screenshot, fullPage: false });
} finally {
  await browser.close();
}

const ok =
  seen.health.status === 200 && seen.health.text.includes('"status": "ok"') &&
  seen.balance.status === 200 && seen.balance.text.includes('"balance_usdt"') &&
  seen.topup.status === 200 && seen.topup.text.includes('"payment_address"') &&
  seen.external_requests.length === 0 &&
  seen.console_errors.length === 0 && seen.failed_responses.length === 0;
console.log(JSON.stringify(seen));
process.exit(ok ? 0 : 1);
