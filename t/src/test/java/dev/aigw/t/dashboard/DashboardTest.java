package dev.aigw.t.dashboard;

import dev.aigw.t.GatewayExtension;
import dev.aigw.testkit.GatewayProcess;
import dev.aigw.testkit.HttpResult;
import dev.aigw.testkit.MockLlm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static dev.aigw.t.Pause.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The dashboard as a person uses it, in Debian's Chromium (headless, started once for the class):
 * sign in with the admin key, read the traffic this test produced from the page (the DOM, not
 * pixels), create a route in the page and send traffic through it, see a schema error inline, and
 * see attacker-controlled names shown as text. A screenshot of the main view is left in
 * {@code t/target/dashboard.png}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardTest {

    @RegisterExtension
    static final GatewayExtension ENV = GatewayExtension.create();

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String XSS_MODEL = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
    private static ChromeDriver browser;
    private static Path profile;

    @BeforeAll
    static void startBrowser() throws Exception {
        profile = Files.createTempDirectory("aigw-chromium");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(new File(System.getProperty("aigw.chromium", "/usr/bin/chromium")));
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1400,1100", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getProperty("aigw.chromedriver", "/usr/bin/chromedriver")))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, o);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopBrowser() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (profile != null) {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static GatewayProcess gw() {
        return ENV.gateway();
    }

    private static MockLlm mock() {
        return ENV.mock();
    }

    private static JsonObject aiRoute(String uri) {
        return new JsonObject().put("uri", uri).put("plugins", new JsonObject().put("ai-proxy", new JsonObject()
                .put("provider", "openai")
                .put("auth", new JsonObject().put("header", new JsonObject().put("Authorization", "Bearer sk-dash")))
                .put("override", new JsonObject().put("endpoint", mock().url()))));
    }

    private static String chat(String model) {
        return new JsonObject().put("model", model).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi"))).encode();
    }

    private static void eventually(String what, Supplier<Boolean> check) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                if (Boolean.TRUE.equals(check.get())) {
                    return;
                }
            } catch (RuntimeException ignored) {
                // the page is still rendering: try again
            }
            if (System.nanoTime() - deadline > 0) {
                fail(what + " not seen within " + WAIT + "; page text:\n" + browser.findElement(By.tagName("body")).getText());
            }
            sleep(100);
        }
    }

    private static String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }

    /** The cells of the table row whose first cell is {@code name}, or null. */
    private static List<String> row(String table, String name) {
        for (WebElement tr : browser.findElements(By.cssSelector(table + " tr"))) {
            List<WebElement> tds = tr.findElements(By.tagName("td"));
            if (!tds.isEmpty() && tds.get(0).getText().equals(name)) {
                return tds.stream().map(WebElement::getText).toList();
            }
        }
        return null;
    }

    /** Opens the page in a fresh state (the key is kept per tab: forget it first) and signs in. */
    private static void signIn(String key) {
        browser.get(gw().adminUrl("/ui/"));
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear();");
        browser.navigate().refresh();
        eventually("the sign-in form", () -> browser.findElement(By.id("key")).isDisplayed());
        WebElement input = browser.findElement(By.id("key"));
        input.clear();
        input.sendKeys(key);
        browser.findElement(By.id("login-btn")).click();
    }

    @Test
    @Order(1)
    void aWrongKeyIsRefusedInThePage() {
        signIn("not-the-key");
        eventually("the error", () -> text("#login-error").contains("Wrong key"));
        assertTrue(browser.findElement(By.id("overview")).getAttribute("hidden") != null, "traffic stays hidden");
    }

    @Test
    @Order(2)
    void theTrafficOfThisTestShowsInTheCharts() throws Exception {
        HttpResult put = gw().admin("PUT", "/routes/dash-chat", aiRoute("/dash/v1/chat/completions").encode());
        assertEquals(201, put.status(), put.body());
        eventually("the route live", () -> gw().http("POST", "/dash/v1/chat/completions", "{}").status() != 404);

        mock().usage(11, 4);
        for (int i = 0; i < 3; i++) {
            assertEquals(200, gw().http("POST", "/dash/v1/chat/completions", chat("dash-model-a")).status());
        }
        assertEquals(200, gw().http("POST", "/dash/v1/chat/completions", chat(XSS_MODEL)).status());
        mock().failNext(1, 500);
        assertEquals(500, gw().http("POST", "/dash/v1/chat/completions", chat("dash-model-a")).status());

        signIn(gw().config().adminKey());
        eventually("the model's row", () -> {
            List<String> r = row("#by-model", "dash-model-a");
            return r != null && r.get(1).equals("4");
        });
        List<String> a = row("#by-model", "dash-model-a");
        assertEquals(List.of("dash-model-a", "4", "1", "33", "12"), a.subList(0, 5),
                "requests, errors, prompt and completion tokens of the three answered calls and the failed one");
        List<String> route = row("#by-route", "dash-chat");
        assertTrue(route != null && Integer.parseInt(route.get(1).replace(",", "")) >= 5, "route row: " + route);
        int total = Integer.parseInt(text("[data-stat=requests]").replace(",", ""));
        assertTrue(total >= 5, "requests tile: " + total);
        assertTrue(Integer.parseInt(text("[data-stat=errors_5xx]")) >= 1);
        assertTrue(text("#failed").contains("dash-chat") && text("#failed").contains("500"), text("#failed"));
        assertTrue(browser.findElements(By.cssSelector("#chart-requests canvas")).size() > 0, "the chart is drawn");

        // the model name is client input: shown as text, never run
        List<String> xss = row("#by-model", XSS_MODEL);
        assertTrue(xss != null, "the hostile model name is listed as text: " + text("#by-model"));
        assertNull(((JavascriptExecutor) browser).executeScript("return window.__pwned;"));
        assertTrue(browser.findElements(By.cssSelector("#by-model img")).isEmpty());

        File shot = browser.getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Path.of("target", "dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    @Order(3)
    void aRouteCreatedInThePageServesTraffic() {
        signIn(gw().config().adminKey());
        eventually("the nav", () -> browser.findElement(By.id("nav")).isDisplayed());
        browser.findElement(By.cssSelector("#nav button[data-view=routes]")).click();
        eventually("the route list", () -> row("#res-list", "dash-chat") != null);
        browser.findElement(By.id("res-new")).click();
        browser.findElement(By.id("editor-id")).sendKeys("made-in-ui");
        WebElement json = browser.findElement(By.id("editor-json"));
        json.clear();
        json.sendKeys(aiRoute("/ui-made/v1/chat/completions").encode());
        browser.findElement(By.id("editor-save")).click();
        eventually("the new route in the list", () -> row("#res-list", "made-in-ui") != null);

        HttpResult stored = gw().admin("GET", "/routes/made-in-ui", null);
        assertEquals(200, stored.status());
        eventually("traffic served by the new route",
                () -> gw().http("POST", "/ui-made/v1/chat/completions", chat("gpt-4o-mini")).status() == 200);
        assertEquals("/v1/chat/completions", mock().lastRequest().path());
    }

    @Test
    @Order(4)
    void aSchemaErrorIsShownInlineAndNothingIsStored() {
        signIn(gw().config().adminKey());
        eventually("the nav", () -> browser.findElement(By.id("nav")).isDisplayed());
        browser.findElement(By.cssSelector("#nav button[data-view=routes]")).click();
        eventually("the list", () -> browser.findElement(By.id("res-new")).isDisplayed());
        browser.findElement(By.id("res-new")).click();
        browser.findElement(By.id("editor-id")).sendKeys("bad-in-ui");
        WebElement json = browser.findElement(By.id("editor-json"));
        json.clear();
        json.sendKeys("{\"uri\": 123}");
        browser.findElement(By.id("editor-save")).click();
        eventually("the inline error", () -> text("#editor-error").contains("invalid configuration"));
        assertEquals(404, gw().admin("GET", "/routes/bad-in-ui", null).status());
    }
}
