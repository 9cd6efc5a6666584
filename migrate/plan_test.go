package migrate_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/schema/op"
	"github.com/strata-db/strata/v"
)

func mustSchema(t *testing.T, tables ...*schema.Table) *schema.Schema {
	t.Helper()
	s, err := strata.NewSchema(tables...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlanSeedRename: the seed's rename step 4 as a target schema plans
// to rename_field users.userName → displayName.
func TestPlanSeedRename(t *testing.T) {
	t.Parallel()
	deployed := mustSchema(t, strata.Table("users", v.Object{"userName": v.String(), "email": v.String()}).Index("by_email", "email"))
	target := mustSchema(t, strata.Table("users", v.Object{"displayName": v.String(), "email": v.String()}).Index("by_email", "email"))
	p, err := migrate.PlanMigration("003_rename_user_name", deployed, target)
	if err != nil {
		t.Fatal(err)
	}
	if p.File == nil || len(p.File.Operations) != 1 {
		t.Fatalf("plan: %+v", p)
	}
	if got, ok := p.File.Operations[0].(op.RenameField); !ok || got.From != "userName" || got.To != "displayName" || got.TableName != "users" {
		t.Errorf("operation: %#v", p.File.Operations[0])
	}
}

func TestPlanMixed(t *testing.T) {
	t.Parallel()
	deployed := mustSchema(t,
		strata.Table("posts", v.Object{"title": v.String(), "legacyField": v.Optional(v.String()), "status": v.String()}).Index("by_status", "status"),
	)
	target := mustSchema(t,
		strata.Table("posts", v.Object{"title": v.String(), "status": v.String(), "publishedAt": v.Optional(v.Number())}).
			Index("by_status_and_published", "status", "publishedAt"),
		strata.Table("tags", v.Object{"name": v.String()}),
	)
	p, err := migrate.PlanMigration("004", deployed, target)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range p.File.Operations {
		kinds = append(kinds, o.Kind())
	}
	slices.Sort(kinds)
	want := "add_index drop_index remove_field"
	if strings.Join(kinds, " ") != want {
		t.Errorf("operations %v, want %s", kinds, want)
	}
	if len(p.Push) != 2 { // add table tags, add optional publishedAt
		t.Errorf("push: %v", p.Push)
	}
	// The schema to push first has the safe changes, not the file's.
	if pf := p.PushFirst; pf == nil || pf.Tables["tags"] == nil || pf.Tables["posts"].Fields["publishedAt"] == nil || pf.Tables["posts"].Fields["legacyField"] == nil {
		t.Errorf("push first: %v", pf)
	}
}

func TestPlanNeedsInput(t *testing.T) {
	t.Parallel()
	deployed := mustSchema(t, strata.Table("tasks", v.Object{
		"title":    v.String(),
		"priority": v.String(),
		"done":     v.Optional(v.Boolean()),
	}))
	cases := []struct {
		name   string
		target *schema.Schema
		want   string
	}{
		{"seed type change", mustSchema(t, strata.Table("tasks", v.Object{"title": v.String(), "priorityLevel": v.Number(), "done": v.Optional(v.Boolean())})), "change_type"},
		{"new required field", mustSchema(t, strata.Table("tasks", v.Object{"title": v.String(), "priority": v.String(), "done": v.Optional(v.Boolean()), "owner": v.String()})), "add_field with a default"},
		{"make required", mustSchema(t, strata.Table("tasks", v.Object{"title": v.String(), "priority": v.String(), "done": v.Boolean()})), "require_field"},
		{"narrow in place", mustSchema(t, strata.Table("tasks", v.Object{"title": v.String(), "priority": v.Literal("high"), "done": v.Optional(v.Boolean())})), "change_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := migrate.PlanMigration("x", deployed, c.target)
			if !errors.Is(err, migrate.ErrPlanIncomplete) || len(p.NeedsInput) == 0 || !strings.Contains(strings.Join(p.NeedsInput, "\n"), c.want) {
				t.Errorf("got %v, %v; want NeedsInput mentioning %q", err, p.NeedsInput, c.want)
			}
		})
	}
}

// TestPlanRenameWithIndexes: a rename plus an index on the new name plans
// the rename before the index (the index's field exists once the rename
// expands); an index whose fields change only by a planned rename is
// carried by the rename and needs nothing. Both plans start and complete
// on a real database and end at the target schema.
func TestPlanRenameWithIndexes(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPlanRenameWithIndexes)
}

func testPlanRenameWithIndexes(t *testing.T, db *strata.DB) {
	cases := []struct {
		name             string
		deployed, target *schema.Schema
		kinds            string
	}{
		{"index_on_new_name",
			mustSchema(t, strata.Table("a", v.Object{"userName": v.String(), "email": v.String()})),
			mustSchema(t, strata.Table("a", v.Object{"displayName": v.String(), "email": v.String()}).Index("by_name", "displayName")),
			"rename_field add_index"},
		{"index_carried",
			mustSchema(t, strata.Table("b", v.Object{"userName": v.String(), "age": v.Int64()}).Index("by_name_age", "userName", "age")),
			mustSchema(t, strata.Table("b", v.Object{"displayName": v.String(), "age": v.Int64()}).Index("by_name_age", "displayName", "age")),
			"rename_field"},
	}
	for _, c := range cases {
		p, err := migrate.PlanMigration("plan_"+c.name, c.deployed, c.target)
		if err != nil {
			t.Errorf("%s: %v (%+v)", c.name, err, p)
			continue
		}
		var kinds []string
		for _, o := range p.File.Operations {
			kinds = append(kinds, o.Kind())
		}
		if strings.Join(kinds, " ") != c.kinds {
			t.Errorf("%s: operations %v, want %s", c.name, kinds, c.kinds)
			continue
		}
		if err := db.SetSchema(ctx, c.deployed); err != nil {
			t.Fatal(err)
		}
		m := migrate.New(db)
		if st, err := m.Start(ctx, p.File); err != nil || st.State != migrate.Ready {
			t.Fatalf("%s: start: %+v %v", c.name, st, err)
		}
		if st, err := m.Complete(ctx, p.File.Name); err != nil || st.State != migrate.Completed {
			t.Fatalf("%s: complete: %+v %v", c.name, st, err)
		}
		table := map[string]string{"index_on_new_name": "a", "index_carried": "b"}[c.name]
		if d := schema.Compare(&schema.Schema{Tables: map[string]*schema.Table{table: db.Schema().Tables[table]}}, c.target); !d.Empty() {
			t.Errorf("%s: after complete the schema differs from the target: %v", c.name, d.Changes)
		}
	}
}

// TestPlanWithDefaults: with a default, an optional field made required
// plans require_field and a new required field add_field (a whole number
// for an int64 read as int64); a default for a field that needs none, or
// of the wrong type, needs input.
func TestPlanWithDefaults(t *testing.T) {
	t.Parallel()
	deployed := mustSchema(t, strata.Table("tasks", v.Object{"title": v.String(), "done": v.Optional(v.Boolean()), "rank": v.Optional(v.Int64())}))
	target := mustSchema(t, strata.Table("tasks", v.Object{"title": v.String(), "done": v.Boolean(), "rank": v.Int64(), "owner": v.String()}))
	p, err := migrate.PlanMigrationWith("req", deployed, target, migrate.PlanOptions{Defaults: map[string]any{
		"tasks.done": false, "tasks.rank": 0.0, "tasks.owner": "nobody",
	}})
	if err != nil {
		t.Fatalf("%v %v", err, p.NeedsInput)
	}
	got := map[string]any{}
	for _, o := range p.File.Operations {
		switch x := o.(type) {
		case op.RequireField:
			got[o.Kind()+" "+x.Field] = x.Default
		case op.AddField:
			got[o.Kind()+" "+x.Field] = x.Default
		default:
			t.Errorf("unexpected operation %s", o.Kind())
		}
	}
	want := map[string]any{"require_field done": false, "require_field rank": int64(0), "add_field owner": "nobody"}
	if len(got) != len(want) {
		t.Fatalf("operations %v, want %v", got, want)
	}
	for k, x := range want {
		if got[k] != x {
			t.Errorf("%s: default %T %v, want %T %v", k, got[k], got[k], x, x)
		}
	}
	cases := []struct {
		name     string
		defaults map[string]any
		want     string
	}{
		{"unused", map[string]any{"tasks.done": false, "tasks.rank": 0.0, "tasks.owner": "", "tasks.title": "x"}, "tasks.title, which is neither"},
		{"wrong type", map[string]any{"tasks.done": "no", "tasks.rank": 0.0, "tasks.owner": ""}, "does not fit its type boolean"},
		{"fraction", map[string]any{"tasks.done": true, "tasks.rank": 0.5, "tasks.owner": ""}, "does not fit its type int64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := migrate.PlanMigrationWith("req", deployed, target, migrate.PlanOptions{Defaults: c.defaults})
			if !errors.Is(err, migrate.ErrPlanIncomplete) || !strings.Contains(strings.Join(p.NeedsInput, "\n"), c.want) {
				t.Errorf("got %v, %v; want NeedsInput mentioning %q", err, p.NeedsInput, c.want)
			}
		})
	}
}
