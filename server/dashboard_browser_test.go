package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/v"
)

// Environment variables of the browser tests.
const (
	// requireChromiumEnv, set to 1 (as .ci/run does), turns a missing
	// Chromium into a failure instead of a skip.
	requireChromiumEnv = "STRATA_REQUIRE_CHROMIUM"
	// artifactsEnv names a directory for the screenshots; without it they
	// go to the test's temporary directory.
	artifactsEnv = "STRATA_ARTIFACTS"
	// updateScreenshotEnv, set to 1, rewrites docs/dashboard.png.
	updateScreenshotEnv = "STRATA_UPDATE_SCREENSHOT"
)

// chromium returns the path of a Chromium (or Chrome) binary, failing the
// test when none is installed and STRATA_REQUIRE_CHROMIUM=1, skipping it
// loudly otherwise.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireChromiumEnv) == "1" {
		t.Fatalf("no Chromium on PATH and %s=1: install it (apt-get install -y chromium)", requireChromiumEnv)
	}
	t.Skipf("SKIPPED: no Chromium on PATH, so the dashboard is not tested in a browser (apt-get install -y chromium; %s=1 makes this a failure)", requireChromiumEnv)
	return ""
}

// browser starts a headless Chromium for the test and returns a context
// of one tab in it, ending with the test.
func browser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// artifacts returns the directory the test's screenshots go to.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv(artifactsEnv); a != "" {
		dir = filepath.Join(a, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// screenshot saves the tab as dir/name.png and returns the file's path.
func screenshot(t *testing.T, ctx context.Context, dir, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	return p
}

// dashboardServer serves a SQLite database holding n users (name, age;
// an index on age) with the admin key.
func dashboardServer(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	db, err := strata.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "dash.db")+"?synchronous=normal")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := strata.NewSchema(strata.Table("users", v.Object{"name": v.String(), "age": v.Number()}).Index("by_age", "age"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSchema(ctx, s); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < n; start += 1000 {
		err := db.Mutation(ctx, func(tx *strata.Tx) error {
			for i := start; i < min(n, start+1000); i++ {
				if _, err := tx.Insert("users", strata.Doc{"name": fmt.Sprintf("user%05d", i), "age": float64(20 + i%60)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	srv, err := server.New(server.Config{DB: db, AdminKey: testAdminKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

// js evaluates expr in the tab.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return out
}

// run runs browser actions, failing the test with what step failed.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v (page: %q)", step, err, js[string](t, ctx, `location.hash + " | " + document.body.innerText.slice(0, 400)`))
	}
}

// TestDashboardBrowser drives the dashboard in headless Chromium: a
// wrong admin key is refused inline; with the right one the operator
// starts a migration from the page, watches its progress bar (fed only by
// the Server-Sent Events stream) pass through intermediate values to 100%
// with updates at least once a second, completes it through the
// confirmation dialog with the keyboard, and finds the new field on the documents page; an
// edit that fails validation stays in the form with its path
// highlighted. Screenshots go to $STRATA_ARTIFACTS or the test's
// temporary directory; STRATA_UPDATE_SCREENSHOT=1 rewrites
// docs/dashboard.png.
func TestDashboardBrowser(t *testing.T) {
	t.Parallel()
	chromium(t) // skip or fail before building the database
	const users = 3000
	url := dashboardServer(t, users)
	ctx := browser(t, 60*time.Second)
	dir := artifacts(t)

	// Login: a wrong key is refused inline; the right one, typed and
	// submitted with the keyboard, opens the health page.
	run(t, ctx, "load the dashboard",
		chromedp.Navigate(url+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS("#login-key")),
		chromedp.SendKeys(chromedp.CSS("#login-key"), "not-the-key"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	if msg := js[string](t, ctx, `document.querySelector("#login-error").textContent`); !strings.Contains(msg, "Wrong admin key") {
		t.Fatalf("login error shows %q", msg)
	}
	if !js[bool](t, ctx, `document.querySelector("#nav").hidden && sessionStorage.length === 0`) {
		t.Fatal("a wrong key logged in or was stored")
	}
	screenshot(t, ctx, dir, "1-login-refused")
	// Uncaught errors and rejected promises of the page are collected
	// and must stay none (the dashboard is one page: hash changes do not
	// reload it).
	js[bool](t, ctx, `window.__errs = []; addEventListener("error", e => __errs.push(String(e.message)));
		addEventListener("unhandledrejection", e => __errs.push(String(e.reason))); true`)
	run(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS("#login-key"), testAdminKey+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#health .cards")))
	if href := js[string](t, ctx, `location.href`); strings.Contains(href, testAdminKey) {
		t.Fatalf("the admin key is in the URL: %s", href)
	}

	// Start a migration from the page, throttled so that the backfill
	// takes a few seconds, and watch it through the event stream.
	const name = "002_add_plan"
	file := `{"name": "` + name + `", "operations": [{"add_field": {"table": "users", "field": "plan", "type": "string", "default": "free"}}]}`
	run(t, ctx, "open the migrations page",
		chromedp.Click(chromedp.CSS(`#nav a[href="#/migrations"]`)),
		chromedp.WaitVisible(chromedp.CSS("#mig-file")),
		chromedp.WaitVisible(chromedp.CSS(`#live[data-updated]`)),
		// A file the server refuses: its error is shown by the form.
		chromedp.SetValue(chromedp.CSS("#mig-file"), `{"name": "bad file"}`),
		chromedp.Click(chromedp.CSS("#mig-start")),
		chromedp.WaitVisible(chromedp.CSS("#mig-start-error")))
	if msg := js[string](t, ctx, `document.querySelector("#mig-start-error").textContent`); !strings.Contains(msg, "HTTP 400") || !strings.Contains(msg, "name") {
		t.Fatalf("the refused file shows %q", msg)
	}
	run(t, ctx, "start the migration",
		chromedp.SetValue(chromedp.CSS("#mig-file"), file),
		chromedp.SetValue(chromedp.CSS("#mig-batch"), "25"),
		chromedp.SetValue(chromedp.CSS("#mig-rate"), "1000"),
		chromedp.Click(chromedp.CSS("#mig-rewrite")),
		chromedp.Click(chromedp.CSS("#mig-start")))
	card := `document.querySelector('.migration[data-name="` + name + `"]')`
	type view struct {
		State    string  `json:"state"`
		Fraction float64 `json:"fraction"`
		Text     string  `json:"text"`
		Updated  float64 `json:"updated"`
		Err      string  `json:"err"`
	}
	var (
		seen         = map[float64]bool{}
		lastUpdate   float64
		maxGap       float64
		shotTaken    bool
		screenshotAt string
		deadline     = time.Now().Add(30 * time.Second)
	)
	for {
		got := js[view](t, ctx, `(() => { const c = `+card+`, l = document.querySelector("#live");
			return c ? {state: c.dataset.state, fraction: Number(c.dataset.fraction), text: c.querySelector(".progress-text").textContent,
				updated: Number(l.dataset.updated || 0), err: c.querySelector(".mig-error").textContent + document.querySelector("#mig-start-error").textContent}
			: {state: "", fraction: 0, text: "", updated: Number(l.dataset.updated || 0), err: document.querySelector("#mig-start-error").textContent} })()`)
		if got.Err != "" {
			t.Fatalf("migration error on the page: %s", got.Err)
		}
		if got.State != "" {
			seen[got.Fraction] = true
			if lastUpdate > 0 && got.Updated > lastUpdate {
				maxGap = max(maxGap, got.Updated-lastUpdate)
			}
			if got.Updated > 0 {
				lastUpdate = got.Updated
			}
		}
		if !shotTaken && got.State == "running" && got.Fraction > 0.3 && got.Fraction < 0.9 && strings.Contains(got.Text, "docs/s") {
			screenshotAt = screenshot(t, ctx, dir, "2-migration-progress")
			shotTaken = true
		}
		if got.State == "ready" && got.Fraction == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the migration did not reach 100%%: %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	intermediate := 0
	for f := range seen {
		if f > 0 && f < 1 {
			intermediate++
		}
	}
	if intermediate < 2 {
		t.Fatalf("the progress bar showed %d intermediate values (%v), want at least 2", intermediate, seen)
	}
	if maxGap > 1000 && !raceDetector {
		t.Fatalf("the migration page went %.0f ms without an update during the backfill, want at most 1000", maxGap)
	}
	t.Logf("progress: %d intermediate values, longest gap between updates %.0f ms", intermediate, maxGap)
	if !shotTaken {
		screenshotAt = screenshot(t, ctx, dir, "2-migration-progress")
	}
	if os.Getenv(updateScreenshotEnv) == "1" {
		b, err := os.ReadFile(screenshotAt)
		if err == nil {
			err = os.WriteFile(filepath.Join("..", "docs", "dashboard.png"), b, 0o644)
		}
		if err != nil {
			t.Fatalf("updating docs/dashboard.png: %v", err)
		}
	}

	// Complete it through the confirmation dialog, with the keyboard:
	// Enter on the button opens the dialog, whose focus starts on Cancel;
	// Tab moves to Confirm and Enter confirms.
	completeBtn := chromedp.CSS(`.migration[data-name="` + name + `"] button[data-action="complete"]`)
	run(t, ctx, "complete the migration",
		// Enabled once the stream says the start's goroutine is over too.
		chromedp.WaitEnabled(completeBtn),
		chromedp.Focus(completeBtn),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#confirm-ok")))
	if id := js[string](t, ctx, `document.activeElement.id`); id != "confirm-cancel" {
		t.Fatalf("the dialog opened with the focus on %q, want confirm-cancel", id)
	}
	run(t, ctx, "confirm with the keyboard",
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.migration[data-name="`+name+`"][data-state="completed"]`)))
	screenshot(t, ctx, dir, "3-migration-completed")

	// The documents page shows the new field.
	run(t, ctx, "open the users table",
		chromedp.Click(chromedp.CSS(`#nav a[href="#/tables"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.table-link[href="#/tables/users"]`)),
		chromedp.Click(chromedp.CSS(`a.table-link[href="#/tables/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#docs td[data-field="plan"]`)))
	plans := js[[]string](t, ctx, `Array.from(document.querySelectorAll('#docs td[data-field="plan"]'), td => td.textContent)`)
	if len(plans) != 50 {
		t.Fatalf("%d plan cells on the first page, want 50", len(plans))
	}
	for _, p := range plans {
		if p != `"free"` {
			t.Fatalf("a plan cell shows %q, want \"free\"", p)
		}
	}
	screenshot(t, ctx, dir, "4-documents")

	// Next and previous page follow the API's cursor.
	// (Documents are listed in creation order; ids created in one
	// millisecond do not sort by it, so page 2 is told by its ids not
	// being page 1's.)
	firstID := js[string](t, ctx, `document.querySelector("#docs tbody tr").dataset.id`)
	js[bool](t, ctx, `(window.__page1 = Array.from(document.querySelectorAll("#docs tbody tr"), tr => tr.dataset.id), true)`)
	run(t, ctx, "next page",
		chromedp.Click(chromedp.CSS("#page-next")),
		chromedp.WaitEnabled(chromedp.CSS("#page-prev")))
	if !waitJS(t, ctx, `document.querySelector("#page-info").textContent.startsWith("page 2, 50 documents") &&
		Array.from(document.querySelectorAll("#docs tbody tr"), tr => tr.dataset.id).every(id => !window.__page1.includes(id))`) {
		t.Fatalf("page 2: %q", js[string](t, ctx, `document.querySelector("#page-info").textContent`))
	}
	run(t, ctx, "previous page", chromedp.Click(chromedp.CSS("#page-prev")))
	if !waitJS(t, ctx, `document.querySelector("#page-info").textContent.startsWith("page 1,") && document.querySelector("#docs tbody tr").dataset.id === `+"`"+firstID+"`") {
		t.Fatal("previous page did not return to the first page")
	}

	// An index range: users aged 30, in age order.
	run(t, ctx, "filter by an index range",
		chromedp.SetValue(chromedp.CSS("#q-index"), "by_age"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector("#q-index").dispatchEvent(new Event("change"))`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS("#q-add")),
		chromedp.SetValue(chromedp.CSS(".cond .c-field"), "age"),
		chromedp.SetValue(chromedp.CSS(".cond .c-value"), "30"),
		chromedp.Click(chromedp.CSS("#q-apply")),
		chromedp.WaitVisible(chromedp.CSS(`#page-info`)))
	if !waitJS(t, ctx, `(() => { const c = Array.from(document.querySelectorAll('#docs td[data-field="age"]'), td => td.textContent);
		return c.length === 50 && c.every(x => x === "30"); })()`) {
		t.Fatalf("the range age = 30 shows ages %v", js[[]string](t, ctx, `Array.from(document.querySelectorAll('#docs td[data-field="age"]'), td => td.textContent)`))
	}

	// An edit the schema refuses stays in the form, the path highlighted.
	run(t, ctx, "edit a document badly",
		chromedp.Click(chromedp.CSS("#docs button.edit")),
		chromedp.WaitVisible(chromedp.CSS(`#editor .field[data-field="age"] textarea`)),
		chromedp.SetValue(chromedp.CSS(`#editor .field[data-field="age"] textarea`), `"thirty"`),
		chromedp.Click(chromedp.CSS("#editor-save")),
		chromedp.WaitVisible(chromedp.CSS("#editor-error")),
		chromedp.WaitVisible(chromedp.CSS(`#editor .field.bad[data-field="age"]`)))
	if msg := js[string](t, ctx, `document.querySelector("#editor-error").textContent`); !strings.Contains(msg, "age") {
		t.Fatalf("the edit's error says %q, want the path age", msg)
	}
	if val := js[string](t, ctx, `document.querySelector('#editor .field[data-field="age"] textarea').value`); val != `"thirty"` {
		t.Fatalf("the edit was lost: the field holds %q", val)
	}
	if !js[bool](t, ctx, `document.activeElement === document.querySelector('#editor .field[data-field="age"] textarea')`) {
		t.Fatal("the highlighted field does not have the focus")
	}
	screenshot(t, ctx, dir, "5-edit-refused")

	// Leaving the page with the refused edit asks first; Escape keeps it.
	run(t, ctx, "leave with an unsaved edit",
		chromedp.Click(chromedp.CSS(`#nav a[href="#/schema"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-cancel")),
		chromedp.SendKeys(chromedp.CSS("#confirm-cancel"), kb.Escape),
		chromedp.WaitNotVisible(chromedp.CSS("#confirm")))
	if val := js[string](t, ctx, `location.hash + " " + document.querySelector('#editor .field[data-field="age"] textarea').value`); val != `#/tables/users "thirty"` {
		t.Fatalf("after refusing to leave: %q", val)
	}

	// The schema page: the history holds the migration's pushes, each
	// with its diff.
	// Leaving again, the operator discards the edit.
	run(t, ctx, "open the schema page, discarding the edit",
		chromedp.Click(chromedp.CSS(`#nav a[href="#/schema"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-ok")),
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		chromedp.WaitVisible(chromedp.CSS("#schema-history button.show-push")))
	run(t, ctx, "show the newest push",
		chromedp.Click(chromedp.CSS("#schema-history button.show-push")),
		chromedp.WaitVisible(chromedp.CSS("#push-detail .changes")))
	if txt := js[string](t, ctx, `document.querySelector("#push-detail").textContent`); !strings.Contains(txt, "plan") {
		t.Fatalf("the newest push's diff does not mention the field plan: %q", txt)
	}
	if txt := js[string](t, ctx, `document.querySelector("#schema-active").textContent`); !strings.Contains(txt, `"plan"`) {
		t.Fatalf("the active schema lacks plan: %q", txt)
	}
	screenshot(t, ctx, dir, "6-schema")
	run(t, ctx, "open the scheduled and health pages",
		chromedp.Click(chromedp.CSS(`#nav a[href="#/scheduled"]`)),
		chromedp.WaitVisible(chromedp.CSS("#jobs p.muted")),
		chromedp.Click(chromedp.CSS(`#nav a[href="#/health"]`)),
		chromedp.WaitVisible(chromedp.CSS("#health .cards")))
	if txt := js[string](t, ctx, `document.querySelector("#page").textContent`); strings.Contains(txt, "null") || strings.Contains(txt, "undefined") {
		t.Fatalf("the health page shows null or undefined: %q", txt)
	}
	screenshot(t, ctx, dir, "7-health")
	if errs := js[[]string](t, ctx, `window.__errs`); len(errs) != 0 {
		t.Fatalf("uncaught errors on the page: %q", errs)
	}

	// Nothing the browser did put the key into the page's URL or storage
	// other than this tab's session.
	if js[bool](t, ctx, `localStorage.length > 0 || location.href.includes(`+"`"+testAdminKey+"`"+`)`) {
		t.Fatal("the admin key leaked into localStorage or the URL")
	}
}

// waitJS polls a boolean expression for up to 5 seconds.
func waitJS(t *testing.T, ctx context.Context, expr string) bool {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if js[bool](t, ctx, expr) {
			return true
		}
	}
	return false
}
