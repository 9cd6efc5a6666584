package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strata-db/strata/storage"
)

var _ storage.IntegrityChecker = (*tx)(nil)

// amcheckRan is what CheckIntegrity reports it ran.
const amcheckRan = "amcheck bt_index_check(strata_documents_pkey, strata_index_pkey)"

// CheckIntegrity checks the B-trees of strata's two tables' primary keys
// with the amcheck extension's bt_index_check (the order of every entry
// within its page and against its parent) when that extension is
// installed in the database; strata does not install it (that needs a
// superuser). Without it nothing runs and note says so. Each index is
// checked under a savepoint, so a finding does not abort the transaction.
func (t *tx) CheckIntegrity(max int) (what, note string, problems []string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(false); err != nil {
		return "", "", nil, err
	}
	var nsp string
	err = t.query("integrity check", `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'`, nil, func(rows pgx.Rows) error {
		if rows.Next() {
			return rows.Scan(&nsp)
		}
		return nil
	})
	if err != nil {
		return "", "", nil, err
	}
	if nsp == "" {
		return "", "the amcheck extension is not installed in this database (CREATE EXTENSION amcheck lets strata check check the B-trees)", nil, nil
	}
	fn := pgx.Identifier{nsp, "bt_index_check"}.Sanitize()
	for _, ix := range []string{"strata_documents_pkey", "strata_index_pkey"} {
		if _, err := t.c.Exec(t.ctx, "SAVEPOINT strata_integrity"); err != nil {
			return "", "", nil, t.fail("integrity check", err)
		}
		_, cerr := t.c.Exec(t.ctx, "SELECT "+fn+"($1::regclass)", ix)
		if cerr != nil {
			if _, err := t.c.Exec(t.ctx, "ROLLBACK TO SAVEPOINT strata_integrity"); err != nil {
				return "", "", nil, t.fail("integrity check", err)
			}
			var pe *pgconn.PgError
			switch {
			case errors.As(cerr, &pe) && (pe.Code == "XX001" || pe.Code == "XX002"):
				problems = append(problems, ix+": "+pe.Message)
			case errors.As(cerr, &pe) && pe.Code == "42501":
				return "", "amcheck is installed but this role may not run it: " + pe.Message, nil, nil
			default:
				return "", "", nil, t.fail("integrity check", cerr)
			}
		}
		if _, err := t.c.Exec(t.ctx, "RELEASE SAVEPOINT strata_integrity"); err != nil {
			return "", "", nil, t.fail("integrity check", err)
		}
		if max > 0 && len(problems) >= max {
			break
		}
	}
	return amcheckRan, "", problems, nil
}
