// Package migrate runs tracked, resumable, online data migrations over a
// strata database.
//
// A Migration names a table and a per-document function (or a per-batch
// one). Run applies it in small transactions while the application keeps
// writing: each batch reads a page of the table, applies the function,
// writes the results and advances the migration's tracking document in
// the same serializable transaction, so a crash leaves either the whole
// batch and its cursor or nothing. Progress, state and the last error live
// in the system table _migrations, readable with the ordinary query API.
//
//	m := migrate.New(db)
//	m.Define(migrate.Migration{
//		Name:  "backfill_avatar_url",
//		Table: "users",
//		MigrateOne: func(doc strata.Doc) (strata.Patch, error) {
//			if doc.Has("avatarUrl") {
//				return nil, nil // already migrated: skip
//			}
//			return strata.Patch{"avatarUrl": defaultAvatar(doc.StringOr("name", ""))}, nil
//		},
//	})
//	st, err := m.Run(ctx, "backfill_avatar_url")
//
// MigrateOne may be written over structs with Typed: the document is
// decoded into the old type, the function returns the new one, and the
// patch makes the document match it:
//
//	MigrateOne: migrate.Typed(func(u OldUser) (NewUser, error) {
//		first, last, _ := strings.Cut(u.FullName, " ")
//		return NewUser{First: first, Last: last, Email: u.Email}, nil
//	}),
//
// Guarantees:
//
//   - One runner per migration across every process sharing the database:
//     a runner holds a lease in the tracking document and every batch
//     re-checks it in its own transaction. A lease whose holder died
//     expires and any process may take the migration over.
//   - Run of a completed migration is a no-op that says so; of a running
//     one is refused; of a failed, paused or canceled one resumes from the
//     stored cursor (never from zero); Reset starts over.
//   - A function error or a write the schema refuses fails the batch (it is
//     rolled back), records the error and the document id, and stops.
//   - Batch sizes adapt to a target batch duration (10ms by default) and
//     shrink on conflicts; an optional rate limit caps documents per second.
//   - Application writes come first. On SQLite, whose writers take turns,
//     a batch ends early (after a few documents, at its cursor) when an
//     application write is queued behind it; batches there commit without
//     waiting for the disk (a batch lost to a power cut is lost with its
//     cursor and runs again; the run ends with a durable commit) except for
//     a second after yielding to a writer, when they pay for their own
//     sync. On PostgreSQL a batch that loses serialization races halves.
//
// Continue runs, in the foreground, whatever a tracked migration needs
// next: a declarative one (Start, Complete, Rollback) is resumed in the
// phase it was interrupted in — its file is stored in its tracking
// document, so any process can continue it — and a Go one is run if it is
// defined on the Migrator (its code exists only where it is defined).
// Serve does the same in the background, in every process that calls it,
// for each migration whose runner died or that Resume marked running.
// `strata migrate run NAME` is Continue.
//
// DryRun runs the function over the whole table without committing and
// reports how many documents would change, a few before/after samples, and
// whether the results satisfy a target schema.
package migrate
