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
  const width = (await card.locator(".fill").count()) ? await card.locator(".fill").evaluate((e) => e.style.width) : null;
  // face boxes: drawn once the image has loaded
  const expected = await card.evaluate((e) => e.classList.contains("no-face") ? 0 : -1);
  if (expected !== 0 && meta.includes(" face")) await card.locator("svg.boxes g.face").first().waitFor({ timeout: 10000 });
  const faces = await card.locator("svg.boxes g.face").evaluateAll((gs) => gs.map((g) => {
    const r = g.querySelector("rect");
    const img = g.ownerSVGElement.parentElement.querySelector("img").getBoundingClientRect();
    const box = r.getBoundingClientRect();
    return {
      text: g.querySelector("text").textContent,
      x: Number(r.getAttribute("x")), y: Number(r.getAttribute("y")),
      w: Number(r.getAttribute("width")), h: Number(r.getAttribute("height")),
      onScreen: box.width > 4 && box.height > 4 && box.left >= img.left - 1 && box.right <= img.right + 1
        && box.top >= img.top - 1 && box.bottom <= img.bottom + 1,
    };
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ label, meta, width, faces }));
} finally {
  await browser.close();
}
