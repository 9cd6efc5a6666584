package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/strata-db/strata/storage"
	"github.com/strata-db/strata/value"
)

// copyBatch is the number of records or index entries copied per
// destination transaction.
const copyBatch = 500

func (a *app) copyCommand() *cobra.Command {
	var from, to string
	var force bool
	cmd := &cobra.Command{
		Use:   "copy --from URL --to URL",
		Short: "copy a whole database to another one (for example SQLite to PostgreSQL)",
		Long: `Copy every table, system tables included, from one database to another,
record for record: documents and their index entries are copied as stored
bytes, so the copy is lossless for every value type and keeps every _id and
_creationTime. The source is read in one consistent snapshot; the
destination is written in transactions of ` + fmt.Sprint(copyBatch) + ` records.

The destination must be empty, unless --force is given: then its tables are
dropped first and replaced by the source's. A destination that is the
source itself (the same SQLite file by any path, the same PostgreSQL
database and schema by any host name) is refused, even with --force. Do not let applications write to
the destination until the copy has finished. URLs are sqlite:PATH or
postgres://...; --db is not used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usageErrorf("copy needs --from URL and --to URL")
			}
			return a.copy(cmd.Context(), from, to, force)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source database URL")
	cmd.Flags().StringVar(&to, "to", "", "destination database URL")
	cmd.Flags().BoolVar(&force, "force", false, "replace the contents of a non-empty destination")
	return cmd
}

// storageURL normalizes a URL as strata.Open does: a bare path is a SQLite
// file.
func storageURL(u string) string {
	if !strings.Contains(u, ":") || strings.HasPrefix(u, "/") || strings.HasPrefix(u, ".") {
		return "sqlite:" + u
	}
	return u
}

// copiedTable is one table's line of the copy report.
type copiedTable struct {
	Table     string         `json:"table"`
	Documents int            `json:"documents"`
	Indexes   map[string]int `json:"indexes"` // index name -> entries
}

func (a *app) copy(ctx context.Context, fromURL, toURL string, force bool) (err error) {
	src, err := storage.Open(ctx, storageURL(fromURL))
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	defer func() {
		if cerr := src.Close(); cerr != nil {
			a.warnClose(fmt.Errorf("copy: source: %w", cerr))
		}
	}()
	dst, err := storage.Open(ctx, storageURL(toURL))
	if err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	// Every batch committed on its own: a failure to close the
	// destination afterwards (a final checkpoint on a full disk) loses
	// none of them, and is a warning (see closeDB).
	defer func() {
		if cerr := dst.Close(); cerr != nil {
			a.warnClose(fmt.Errorf("copy: destination: %w", cerr))
		}
	}()
	if err := refuseSameStore(ctx, src, dst); err != nil {
		return err
	}
	if err := prepareDestination(ctx, dst, force); err != nil {
		return err
	}
	rtx, err := src.Begin(ctx, false)
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	defer rtx.Rollback()
	enum, ok := rtx.(storage.Enumerator)
	if !ok {
		return errors.New("copy: the source backend cannot list its records (no storage.Enumerator)")
	}
	tables, err := rtx.Tables()
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	var report []copiedTable
	for _, table := range tables {
		ct := copiedTable{Table: table, Indexes: map[string]int{}}
		if ct.Documents, err = copyDocuments(ctx, enum, dst, table); err != nil {
			return err
		}
		indexes, err := enum.Indexes(table)
		if err != nil {
			return fmt.Errorf("copy: source: %w", err)
		}
		for _, ix := range indexes {
			if ct.Indexes[ix], err = copyIndex(ctx, rtx, dst, table, ix); err != nil {
				return err
			}
		}
		if err := advanceClock(ctx, rtx, dst, table); err != nil {
			return err
		}
		report = append(report, ct)
		if !a.json {
			fmt.Fprintf(a.stdout, "copied %s: %d documents, %d indexes\n", table, ct.Documents, len(indexes))
		}
	}
	if a.json {
		if report == nil {
			report = []copiedTable{}
		}
		out, err := json.Marshal(report)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n", out)
	}
	return nil
}

// refuseSameStore fails when src and dst are one store written two ways:
// emptying the destination would delete the source, --force or not.
func refuseSameStore(ctx context.Context, src, dst storage.Backend) error {
	s, ok := src.(storage.SameStorer)
	if !ok {
		return nil
	}
	same, err := s.SameStore(ctx, dst)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if same {
		return errors.New("copy: --from and --to name the same database: copying a database onto itself would delete it, so it is refused even with --force")
	}
	return nil
}

// prepareDestination refuses a non-empty destination, or empties it when
// force is set.
func prepareDestination(ctx context.Context, dst storage.Backend, force bool) error {
	tx, err := dst.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	defer tx.Rollback()
	tables, err := tx.Tables()
	if err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("copy: the destination is not empty (tables %s); use --force to replace its contents", strings.Join(tables, ", "))
	}
	for _, t := range tables {
		if err := tx.DropTable(t); err != nil {
			return fmt.Errorf("copy: destination: drop %s: %w", t, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	return nil
}

// writeBatch runs fn in one destination write transaction.
func writeBatch(ctx context.Context, dst storage.Backend, fn func(tx storage.Tx) error) error {
	tx, err := dst.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("copy: destination: %w", err)
	}
	return nil
}

// after returns the smallest key above k: the start of the next page.
func after(k []byte) []byte {
	return append(append(make([]byte, 0, len(k)+1), k...), 0)
}

func copyDocuments(ctx context.Context, enum storage.Enumerator, dst storage.Backend, table string) (int, error) {
	n := 0
	var start []byte
	for {
		docs, err := enum.ScanDocuments(table, storage.Range{Start: start}, copyBatch)
		if err != nil {
			return n, fmt.Errorf("copy: source: %s: %w", table, err)
		}
		if len(docs) == 0 {
			return n, nil
		}
		err = writeBatch(ctx, dst, func(tx storage.Tx) error {
			for _, d := range docs {
				if err := tx.Put(table, d.ID, d.Body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(docs)
		start = after(docs[len(docs)-1].ID)
	}
}

func copyIndex(ctx context.Context, rtx storage.Tx, dst storage.Backend, table, index string) (int, error) {
	n := 0
	var start []byte
	for {
		ents, err := rtx.Scan(storage.ScanRequest{Table: table, Index: index, Range: storage.Range{Start: start}, Limit: copyBatch, KeysOnly: true})
		if err != nil {
			return n, fmt.Errorf("copy: source: %s.%s: %w", table, index, err)
		}
		if len(ents) == 0 {
			return n, nil
		}
		err = writeBatch(ctx, dst, func(tx storage.Tx) error {
			for _, e := range ents {
				if err := tx.PutIndex(table, index, e.Key, e.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(ents)
		start = after(ents[len(ents)-1].Key)
	}
}

// advanceClock moves a destination's creation-time clock (storage.Clock)
// past the table's newest _creationTime, so that documents inserted after
// the copy sort after the copied ones.
func advanceClock(ctx context.Context, rtx storage.Tx, dst storage.Backend, table string) error {
	ents, err := rtx.Scan(storage.ScanRequest{Table: table, Index: "by_creation_time", Reverse: true, Limit: 1, KeysOnly: true})
	if err != nil || len(ents) == 0 {
		return err
	}
	x, _, err := value.DecodeKey(ents[0].Key)
	if err != nil {
		return fmt.Errorf("copy: source: %s: corrupt by_creation_time key: %w", table, err)
	}
	last, ok := x.(float64)
	if !ok || !(last > 0) || math.IsInf(last, 0) {
		return nil
	}
	return writeBatch(ctx, dst, func(tx storage.Tx) error {
		c, ok := tx.(storage.Clock)
		if !ok {
			return nil
		}
		_, _, err := c.ReserveCreationTimes(table, math.Nextafter(last, math.Inf(1)), 1, true)
		return err
	})
}
