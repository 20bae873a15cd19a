// Opens dfd's web page, uploads one image, waits for the verdict, prints it as JSON, saves a screenshot.
// usage: node upload.mjs URL IMAGE SCREENSHOT.png   (CHROMIUM=/path/to/chromium to override /usr/bin/chromium)
import { chromium } from "playwright-core";

const [url, image, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
  await page.goto(url);
  await page.waitForFunction(() => !document.getElementById("model").textContent.includes("loading"));
  await page.setInputFiles("#files", image);
  const card = page.locator(".card").first();
  await card.locator(".label").filter({ hasNotText: "…" }).waitFor({ timeout: 20000 });
  await page.waitForFunction(() => !document.querySelector(".card").classList.contains("pending"));
  const label = (await card.locator(".label").textContent()).trim();
  const meta = (await card.locator(".meta").textContent()).trim();
  const width = await card.locator(".fill").evaluate((e) => e.style.width);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ label, meta, width }));
} finally {
  await browser.close();
}
