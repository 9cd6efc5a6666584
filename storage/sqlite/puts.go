package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// A write transaction buffers its document Puts and writes them as
// multi-row upserts: one statement for up to putChunk documents costs a
// fraction of as many single-row statements (a migration batch patches
// every document of a page). The buffer is written before anything that
// reads or removes documents runs (Scan, ScanDocuments, Tables, Delete,
// DropTable) and before COMMIT; Get answers from it. Index entries are
// written at once: nothing reads them before the buffer is written.

// putChunk is the most rows one upsert statement writes.
const putChunk = 32

// maxBufferedPuts is the buffer size at which Put writes it.
const maxBufferedPuts = 256

type bufferedPut struct {
	table    string
	id, body []byte
}

// putBuffer holds a transaction's unwritten Puts, the last one per
// document.
type putBuffer struct {
	puts []bufferedPut
	at   map[string]int // table NUL id -> index in puts
}

func putKey(table string, id []byte) string { return table + "\x00" + string(id) }

func (p *putBuffer) add(table string, id, body []byte) {
	k := putKey(table, id)
	if i, ok := p.at[k]; ok {
		p.puts[i].body = body
		return
	}
	if p.at == nil {
		p.at = make(map[string]int, 64)
	}
	p.at[k] = len(p.puts)
	p.puts = append(p.puts, bufferedPut{table, id, body})
}

func (p *putBuffer) get(table string, id []byte) ([]byte, bool) {
	i, ok := p.at[putKey(table, id)]
	if !ok {
		return nil, false
	}
	return p.puts[i].body, true
}

func (p *putBuffer) reset() {
	p.puts = p.puts[:0]
	clear(p.at)
}

// flushPuts writes the buffered Puts. t.mu is held.
func (t *tx) flushPuts(op string) error {
	b := &t.putBuf
	for lo := 0; lo < len(b.puts); lo += putChunk {
		chunk := b.puts[lo:min(lo+putChunk, len(b.puts))]
		args := make([]any, 0, 3*len(chunk))
		for _, p := range chunk {
			args = append(args, p.table, p.id, p.body)
		}
		ctx, err := t.short()
		if err == nil {
			_, err = t.c.execPuts(ctx, len(chunk), args)
		}
		if err != nil {
			b.reset()
			return t.fail(op, err)
		}
	}
	b.reset()
	return nil
}

// execPuts runs the upsert of n documents (args: table, id, body for
// each), preparing it on first use.
func (c *conn) execPuts(ctx context.Context, n int, args []any) (sql.Result, error) {
	if c.broken {
		return nil, errBrokenConn
	}
	if n == 1 {
		return c.exec(ctx, stmtPut, args...)
	}
	s := c.puts[n]
	if s == nil {
		q := `INSERT INTO strata_documents (tbl, id, body) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ") +
			` ON CONFLICT (tbl, id) DO UPDATE SET body = excluded.body`
		var err error
		if s, err = c.c.PrepareContext(ctx, q); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		c.puts[n] = s
	}
	return s.ExecContext(ctx, args...)
}

// bufferedGet answers Get from the buffer: a copy, since the caller owns
// returned slices.
func (t *tx) bufferedGet(table string, id []byte) ([]byte, bool) {
	body, ok := t.putBuf.get(table, id)
	if !ok {
		return nil, false
	}
	return bytes.Clone(body), true
}
