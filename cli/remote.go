package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/functions"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/schema"
	"github.com/strata-db/strata/server/client"
)

// remoteHelp is the paragraph the --help of each command that works on a
// remote strata carries.
const remoteHelp = `

With --db http://HOST:PORT (or https://) the command works on a remote
"strata serve" through its admin API (docs/http-api.md), with the admin
key from STRATA_ADMIN_KEY or --admin-key.`

// isRemote reports whether a --db value names a strata server.
func isRemote(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// remote returns the admin API client of --db when it names a server,
// and nil when it names a local database.
func (a *app) remote() (*client.Client, error) {
	if !isRemote(a.dbURL) {
		return nil, nil
	}
	key := a.adminKey
	if key == "" {
		key = os.Getenv("STRATA_ADMIN_KEY")
	}
	return client.New(a.dbURL, key, nil)
}

// errNeedsLocal is the error of a command that has no admin API route
// when --db names a server.
func (a *app) errNeedsLocal() error {
	return usageErrorf("%q needs a local database (--db sqlite:PATH or postgres://...): the admin API of a remote strata (--db %s) has no route for it", a.cmdPath, a.dbURL)
}

// remoteTables is `strata tables` on a server.
func (a *app) remoteTables(ctx context.Context, c *client.Client, all bool) error {
	tables, err := c.Tables(ctx)
	if err != nil {
		return err
	}
	s, err := c.Schema(ctx)
	if err != nil {
		return err
	}
	infos := []tableInfo{}
	for _, t := range tables {
		info := tableInfo{Table: t.Name, Documents: t.Count, State: tableKept, Indexes: []indexInfo{}}
		switch {
		case strings.HasPrefix(t.Name, "_"):
			if !all {
				continue
			}
			info.State = tableSystem
		case s == nil || len(s.Tables) == 0:
			info.State = tableFree
		case s.Tables[t.Name] != nil:
			info.State = tableDeclared
			for _, ix := range t.Indexes {
				ii := indexInfo{Name: ix.Name, Fields: ix.Fields, State: strata.BuildReady}
				if ix.State == strata.BuildBackfilling {
					ii.State, ii.Processed, ii.Total = "building", ix.Processed, ix.Total
				}
				info.Indexes = append(info.Indexes, ii)
			}
		}
		infos = append(infos, info)
	}
	if a.json {
		return writeJSON(a.stdout, infos)
	}
	if len(infos) == 0 {
		infos = nil
	}
	return a.printTables(infos)
}

// remoteExport is `strata export [TABLE...]` on a server: the tables'
// documents in _id order, a page of the admin API at a time (so not one
// snapshot).
func (a *app) remoteExport(ctx context.Context, c *client.Client, named []string, withSystem bool, appendLine func([]byte, any) ([]byte, error)) error {
	tables := named
	if len(tables) == 0 {
		all, err := c.Tables(ctx)
		if err != nil {
			return err
		}
		for _, t := range all {
			if t.Count > 0 && (withSystem || !strings.HasPrefix(t.Name, "_")) {
				tables = append(tables, t.Name)
			}
		}
	}
	w := bufio.NewWriterSize(a.stdout, 64<<10)
	var line []byte
	for _, t := range tables {
		cursor := ""
		for {
			p, err := c.Documents(ctx, t, 1000, cursor)
			if err != nil {
				return err
			}
			for _, d := range p.Docs {
				m := map[string]any(d)
				if len(named) != 1 {
					m[tableField] = t
				}
				if line, err = appendLine(line[:0], m); err != nil {
					return fmt.Errorf("table %s: document %s: %w", t, d.ID(), err)
				}
				line = append(line, '\n')
				if _, err := w.Write(line); err != nil {
					return err
				}
			}
			if p.IsDone {
				break
			}
			cursor = p.ContinueCursor
		}
	}
	return w.Flush()
}

// activeSchema returns the active schema of --db: a local database's or
// a server's.
func (a *app) activeSchema(ctx context.Context) (*strata.Schema, error) {
	c, err := a.remote()
	if err != nil {
		return nil, err
	}
	if c != nil {
		return c.Schema(ctx)
	}
	db, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	return db.Schema(), nil
}

// remotePush is `strata schema push FILE` on a server. The diff printed is
// computed here against the server's active schema read just before.
func (a *app) remotePush(cmd *cobra.Command, c *client.Client, s *strata.Schema, file string, opts strata.PushOptions) error {
	if opts.DropTables {
		return usageErrorf("--drop-tables needs a local database: the admin API's push keeps the tables a schema leaves out")
	}
	data, err := readDefinitionFile(file)
	if err != nil {
		return fmt.Errorf("schema push: %w", err)
	}
	active, err := c.Schema(cmd.Context())
	if err != nil {
		return err
	}
	raw, err := c.SchemaPush(cmd.Context(), data, client.PushOptions{DryRun: opts.DryRun, Wait: opts.Wait, Comment: opts.Comment})
	if err != nil {
		return err
	}
	var ans struct {
		DryRun        bool                `json:"dryRun"`
		Unchanged     bool                `json:"unchanged"`
		SchemaID      strata.ID           `json:"schemaId"`
		Checked       map[string]int64    `json:"checked"`
		KeptTables    map[string]int64    `json:"keptTables"`
		DroppedTables map[string]int64    `json:"droppedTables"`
		Builds        []strata.IndexBuild `json:"builds"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("schema push: the server's answer: %w", err)
	}
	res := &strata.PushResult{DryRun: ans.DryRun, Unchanged: ans.Unchanged, SchemaID: ans.SchemaID, Checked: ans.Checked,
		KeptTables: ans.KeptTables, DroppedTables: ans.DroppedTables, Builds: ans.Builds, Diff: schema.Compare(active, s)}
	if a.json {
		out := pushOut{DryRun: res.DryRun, Unchanged: res.Unchanged, SchemaID: string(res.SchemaID), Checked: res.Checked,
			KeptTables: res.KeptTables, DroppedTables: res.DroppedTables, Builds: res.Builds, Diff: diffJSON(res.Diff)}
		return writeJSON(a.stdout, out)
	}
	printPush(a.stdout, res)
	return nil
}

// remoteStatuses is `strata migrate status [NAME...]` on a server.
func remoteStatuses(ctx context.Context, c *client.Client, names []string) ([]migrate.Status, error) {
	if len(names) == 0 {
		return c.Migrations(ctx)
	}
	var out []migrate.Status
	for _, n := range names {
		st, err := c.Migration(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// remoteJobs lists scheduled functions on a server as Jobs.
func remoteJobs(ctx context.Context, c *client.Client, states []functions.State) ([]functions.Job, error) {
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = string(s)
	}
	docs, err := c.Scheduled(ctx, names...)
	if err != nil {
		return nil, err
	}
	jobs := make([]functions.Job, 0, len(docs))
	for _, d := range docs {
		j, err := functions.ParseJob(d)
		if err != nil {
			return nil, fmt.Errorf("scheduled function %s: %w", d.ID(), err)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// remoteSteps is the help of migrate complete and rollback.
const remoteSteps = `Run the step on the migration NAME, with progress, and print where it
ended.` + remoteHelp + `
Remotely, the server runs the step within its request timeout (30s by
default); calling again continues it.`

// remoteStep runs a migration action on a server (c, or the error of
// making it) and prints the migration's status.
func (a *app) remoteStep(cmd *cobra.Command, c *client.Client, err error, name, action string) error {
	if err != nil {
		return err
	}
	st, err := c.MigrationAction(cmd.Context(), name, action)
	if err != nil {
		return err
	}
	return a.printStatuses([]migrate.Status{st})
}

// reportCheck prints a finished check's report as `strata check` does and
// returns the error of a report with problems.
func (a *app) reportCheck(out checkOutput, repaired bool) error {
	if a.json {
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else {
		a.printCheck(out, true)
	}
	if rep := out.CheckReport; !rep.OK() {
		hint := "strata check --repair-indexes rebuilds the indexes"
		if repaired {
			hint = "the indexes were rebuilt; what remains is in the document records or the engine's files"
		}
		return fmt.Errorf("check: %d problem(s) found (%s)", len(rep.Problems)+int(rep.Omitted), hint)
	}
	return nil
}
