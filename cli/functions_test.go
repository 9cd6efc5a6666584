package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/cli"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/v"
)

func fnApp() *functions.App {
	app := functions.NewApp()
	app.Mutation("notes:add", functions.Def{
		Args:    v.Object{"text": v.String(), "n": v.Optional(v.Int64())},
		Returns: v.ID("notes"),
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			return ctx.Tx.Insert("notes", args)
		},
	})
	app.InternalQuery("notes:count", functions.Def{
		Returns: v.Int64(),
		Handler: func(ctx *functions.Ctx, _ strata.Doc) (any, error) {
			docs, err := ctx.Tx.Table("notes").Collect()
			return int64(len(docs)), err
		},
	})
	app.InternalMutation("notes:later", functions.Def{
		Args: v.Object{"text": v.String(), "delayMs": v.Int64()},
		Handler: func(ctx *functions.Ctx, args strata.Doc) (any, error) {
			ms, _ := args.Int("delayMs")
			return ctx.Scheduler.RunAfter(msDuration(ms), "notes:add", map[string]any{"text": args.StringOr("text", "")})
		},
	})
	return app
}

func (e *env) runFn(app *functions.App, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := cli.RunWith(context.Background(), app, append([]string{"--db", e.db}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func (e *env) okFn(app *functions.App, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.runFn(app, args...)
	if err != nil {
		e.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func TestRunFunction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := fnApp()
	out := e.okFn(app, "run", "notes:add", `{"text":"hi","n":{"$integer":"3"}}`)
	if !strings.HasPrefix(out, `"`) || !strings.HasSuffix(out, "\"\n") {
		t.Errorf("run printed %q, want a JSON string (the id)", out)
	}
	if out := e.okFn(app, "run", "notes:count"); out != "{\"$integer\":\"1\"}\n" {
		t.Errorf("run notes:count (internal) printed %q", out)
	}
	out = e.okFn(app, "run", "--list", "--json")
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil || len(fs) != 3 || fs[1]["internal"] != true {
		t.Errorf("run --list --json = %s (%v)", out, err)
	}
}

func TestRunBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := fnApp()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "notes:nope"}, `strata: functions: notes:nope: unknown function "notes:nope"`},
		{[]string{"run", "notes:add", `"hi"`}, "strata: functions: notes:add: invalid args: expected an object, found string"},
		{[]string{"run", "notes:add", `{"text":1}`}, "strata: functions: notes:add: invalid args: text: expected string, found number"},
		{[]string{"run", "notes:add", `{"text":`}, "strata: usage: JSON-ARGS:"},
		{[]string{"run", "notes:add", `null`}, "strata: usage: JSON-ARGS must be an object, not null"},
		{[]string{"run", "notes:add", `[1]`}, "strata: functions: notes:add: invalid args: expected an object, found array"},
		{[]string{"run"}, "strata: "},
	}
	for _, tt := range tests {
		_, errOut, err := e.runFn(app, tt.args...)
		if err == nil || !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: err %v, stderr %q, want prefix %q", tt.args, err, errOut, tt.want)
		}
	}
	// The plain strata binary has no functions.
	_, errOut, err := e.run("run", "notes:add", "{}")
	if err == nil || !strings.Contains(errOut, "this binary has no functions") {
		t.Errorf("run without functions: %v %q", err, errOut)
	}
}

func TestScheduledCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := fnApp()
	e.ok("import", "notes", e.file("n.jsonl", "")) // creates the database
	if out := e.okFn(app, "scheduled", "list"); !strings.Contains(out, "no scheduled jobs") {
		t.Errorf("list on an empty database: %q", out)
	}
	later := strings.Trim(e.okFn(app, "run", "notes:later", `{"text":"a","delayMs":{"$integer":"3600000"}}`), "\"\n")
	e.okFn(app, "run", "notes:later", `{"text":"b","delayMs":{"$integer":"0"}}`)
	out := e.okFn(app, "scheduled", "list", "--json")
	var jobs []map[string]any
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 2 {
		t.Fatalf("list --json = %s (%v)", out, err)
	}
	for _, j := range jobs {
		if j["state"] != "pending" || j["name"] != "notes:add" {
			t.Errorf("job %v", j)
		}
	}
	if out := e.okFn(app, "scheduled", "cancel", later); !strings.Contains(out, "canceled "+later) {
		t.Errorf("cancel printed %q", out)
	}
	if _, errOut, err := e.runFn(app, "scheduled", "cancel", later); err == nil || !strings.Contains(errOut, "job is not pending (it is canceled)") {
		t.Errorf("second cancel: %v %q", err, errOut)
	}
	if _, errOut, err := e.runFn(app, "scheduled", "cancel", "bogus"); err == nil || !strings.Contains(errOut, "no such scheduled job") {
		t.Errorf("cancel of a bogus id: %v %q", err, errOut)
	}
	e.okFn(app, "scheduled", "work", "--until-idle")
	if out := e.okFn(app, "run", "notes:count"); out != "{\"$integer\":\"1\"}\n" {
		t.Errorf("after work: count = %q", out)
	}
	out = e.okFn(app, "scheduled", "list", "--state", "success")
	if !strings.Contains(out, "(1 job(s))") {
		t.Errorf("list --state success: %q", out)
	}
	if _, _, err := e.runFn(app, "scheduled", "list", "--state", "done"); err == nil {
		t.Error("list --state done succeeded")
	}
	if out := e.okFn(app, "scheduled", "cleanup", "--retention", "0s"); out != "deleted 2 job(s)\n" {
		t.Errorf("cleanup: %q", out)
	}
	if _, errOut, err := e.run("scheduled", "work"); err == nil || !strings.Contains(errOut, "no functions") {
		t.Errorf("work without functions: %v %q", err, errOut)
	}
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
