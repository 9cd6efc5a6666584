// Package loadbench measures strata on PostgreSQL under many clients
// beside raw pgx doing the same work in the same run: point reads,
// uniform updates, hot-spot updates and transfers that also insert a
// ledger document, at several concurrencies, alternating the two sides.
// Both sides run SERIALIZABLE transactions on a pool of the same size and
// retry serialization failures with strata's policy; the raw side is the
// strongest hand-written pgx code for each workload (one round trip per
// read, pipelined statements). `strata bench load` and the Go benchmarks
// share it.
package loadbench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/strata-db/strata"
	// The bench runs on PostgreSQL only.
	_ "github.com/strata-db/strata/storage/postgres"
)

const (
	accounts = "accounts" // strata table of the accounts
	ledger   = "ledger"   // strata table of the transfers' ledger entries

	// StartBalance is every account's balance after loading.
	StartBalance = 1000
	// HotDocs is how many accounts the hot-spot workload updates.
	HotDocs = 16
)

// rawDDL creates the raw side's tables in the fixture's schema.
const rawDDL = `
CREATE TABLE lb_accounts (id text PRIMARY KEY, creation double precision NOT NULL,
	balance bigint NOT NULL, n bigint NOT NULL, name text NOT NULL);
CREATE INDEX lb_accounts_creation ON lb_accounts (creation);
CREATE TABLE lb_ledger (id bigserial PRIMARY KEY, creation double precision NOT NULL,
	src text NOT NULL, dst text NOT NULL, amount bigint NOT NULL);
CREATE INDEX lb_ledger_creation ON lb_ledger (creation);`

// Fixture is a loaded pair of databases: strata's documents and the raw
// side's rows, in the schema of one PostgreSQL database.
type Fixture struct {
	DB   *strata.DB
	Raw  *pgxpool.Pool
	IDs  []strata.ID // strata's accounts, in load order
	RIDs []string    // the raw side's accounts, in load order
	Pool int         // connections of each side's pool
	url  string      // the database, for worker processes
}

// Open opens strata and a raw pgx pool of pool connections each on the
// database at dbURL (whose search_path names an empty schema) and loads
// docs accounts on both sides.
func Open(ctx context.Context, dbURL string, docs, pool int) (_ *Fixture, err error) {
	if docs < HotDocs+2 {
		return nil, fmt.Errorf("loadbench: want at least %d documents, not %d", HotDocs+2, docs)
	}
	if pool < 1 {
		return nil, fmt.Errorf("loadbench: want a pool of at least 1 connection, not %d", pool)
	}
	f := &Fixture{Pool: pool}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.Close())
		}
	}()
	if err := f.open(ctx, dbURL); err != nil {
		return nil, err
	}
	if _, err := f.Raw.Exec(ctx, rawDDL); err != nil {
		return nil, fmt.Errorf("loadbench: raw tables: %w", err)
	}
	if err := f.load(ctx, docs); err != nil {
		return nil, err
	}
	return f, nil
}

// open opens both sides on the database at dbURL, pools of f.Pool.
func (f *Fixture) open(ctx context.Context, dbURL string) error {
	f.url = dbURL
	su, err := withParam(dbURL, "pool_max_conns", strconv.Itoa(f.Pool))
	if err != nil {
		return err
	}
	if f.DB, err = strata.Open(ctx, su); err != nil {
		return fmt.Errorf("loadbench: open strata: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(su)
	if err != nil {
		return fmt.Errorf("loadbench: raw pool: %w", err)
	}
	// A single statement outside BEGIN runs SERIALIZABLE too.
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "serializable"
	if f.Raw, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fmt.Errorf("loadbench: raw pool: %w", err)
	}
	return nil
}

// load inserts docs accounts on both sides.
func (f *Fixture) load(ctx context.Context, docs int) error {
	const batch = 1000
	for lo := 0; lo < docs; lo += batch {
		hi := min(lo+batch, docs)
		err := f.DB.Mutation(ctx, func(tx *strata.Tx) error {
			for i := lo; i < hi; i++ {
				id, err := tx.Insert(accounts, strata.Doc{"balance": int64(StartBalance), "n": int64(0), "name": "account " + strconv.Itoa(i)})
				if err != nil {
					return err
				}
				f.IDs = append(f.IDs, id)
			}
			return nil
		})
		if err != nil {
			f.IDs = f.IDs[:lo]
			return fmt.Errorf("loadbench: load strata: %w", err)
		}
	}
	rows := make([][]any, docs)
	for i := range rows {
		id := rawID(i)
		f.RIDs = append(f.RIDs, id)
		rows[i] = []any{id, float64(i), int64(StartBalance), int64(0), "account " + strconv.Itoa(i)}
	}
	if _, err := f.Raw.CopyFrom(ctx, pgx.Identifier{"lb_accounts"}, []string{"id", "creation", "balance", "n", "name"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("loadbench: load raw: %w", err)
	}
	if _, err := f.Raw.Exec(ctx, "ANALYZE lb_accounts; ANALYZE lb_ledger; ANALYZE strata_documents; ANALYZE strata_index"); err != nil {
		return fmt.Errorf("loadbench: analyze: %w", err)
	}
	return nil
}

// Close closes both sides.
func (f *Fixture) Close() error {
	var err error
	if f.Raw != nil {
		f.Raw.Close()
	}
	if f.DB != nil {
		err = f.DB.Close()
	}
	return err
}

// withParam returns the URL u with the query parameter key set to value.
func withParam(u, key, value string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		// url.Error repeats the URL, password included: keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("loadbench: bad URL: %w", err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String(), nil
}
