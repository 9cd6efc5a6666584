// Package client calls the admin API of a strata server (strata serve,
// docs/http-api.md) from Go: the remote side of the command line's
// --db http://HOST:PORT. It speaks only the documented routes, sends the
// admin key as Convex's clients do (Authorization: Convex KEY), and never
// puts the key in an error.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/migrate"
	"github.com/strata-db/strata/value"
)

// Client calls one server's admin API. It is safe for concurrent use.
type Client struct {
	base string // scheme://host[:port], no trailing slash
	key  string
	hc   *http.Client
}

// New returns a client of the server at base (http://HOST:PORT or
// https://..., a path prefix allowed) that authenticates with key. hc
// nil means http.DefaultClient.
func New(base, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("strata client: %q is not an http:// or https:// server address", base)
	}
	if u.User != nil {
		return nil, errors.New("strata client: give the admin key with STRATA_ADMIN_KEY or --admin-key, not in the URL")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(u.String(), "/"), key: key, hc: hc}, nil
}

// Error is the answer of a route that failed: its HTTP status and the
// server's message.
type Error struct {
	Route   string // "GET /api/admin/tables"
	Status  int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Route, e.Message, e.Status)
}

// do sends a request to path (with query) and decodes a 200 answer into
// out (nil: ignore it).
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return c.redact(fmt.Errorf("strata client: %w", err))
	}
	route := method + " " + strings.SplitN(path, "?", 2)[0]
	if c.key != "" {
		req.Header.Set("Authorization", "Convex "+c.key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.redact(fmt.Errorf("strata client: %s: %w", route, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return c.redact(fmt.Errorf("strata client: %s: reading the answer: %w", route, err))
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if resp.StatusCode == http.StatusUnauthorized && c.key == "" {
			msg += " (set STRATA_ADMIN_KEY or --admin-key)"
		}
		return c.redact(&Error{Route: route, Status: resp.StatusCode, Message: msg})
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("strata client: %s: the answer is not what the route returns: %w", route, err)
	}
	return nil
}

// redact removes the admin key from an error's text, whatever echoed it.
func (c *Client) redact(err error) error {
	if err == nil || c.key == "" || !strings.Contains(err.Error(), c.key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.key, "xxxxx"))
}

// Table is one table of Tables.
type Table struct {
	Name    string  `json:"name"`
	Count   int64   `json:"count"`
	Indexes []Index `json:"indexes"`
}

// Index is a declared index of a table and its build state.
type Index struct {
	Name      string   `json:"name"`
	Fields    []string `json:"fields"`
	State     string   `json:"state"` // strata.BuildReady or BuildBackfilling
	Processed int64    `json:"processed,omitempty"`
	Total     int64    `json:"total,omitempty"`
}

// Tables lists the schema's tables and those holding documents, system
// tables included, sorted by name.
func (c *Client) Tables(ctx context.Context) ([]Table, error) {
	var out struct {
		Tables []Table `json:"tables"`
	}
	err := c.do(ctx, http.MethodGet, "/api/admin/tables", nil, &out)
	return out.Tables, err
}

// Schema returns the active schema in the schema file's form, or nil if
// none is set.
func (c *Client) Schema(ctx context.Context) (*strata.Schema, error) {
	var out struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/admin/schema", nil, &out); err != nil {
		return nil, err
	}
	if len(out.Schema) == 0 || string(out.Schema) == "null" {
		return nil, nil
	}
	var s strata.Schema
	if err := json.Unmarshal(out.Schema, &s); err != nil {
		return nil, fmt.Errorf("strata client: the active schema: %w", err)
	}
	return &s, nil
}

// Page is one page of a table's documents.
type Page struct {
	Docs           []strata.Doc
	IsDone         bool
	ContinueCursor string
}

// Documents returns one page of table's documents in _id order: at most
// limit (1 to 1000), after cursor ("" for the first page).
func (c *Client) Documents(ctx context.Context, table string, limit int, cursor string) (Page, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out struct {
		Page           json.RawMessage `json:"page"`
		IsDone         bool            `json:"isDone"`
		ContinueCursor string          `json:"continueCursor"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/admin/tables/"+url.PathEscape(table)+"/documents?"+q.Encode(), nil, &out); err != nil {
		return Page{}, err
	}
	x, err := value.ParseConvexJSON(out.Page)
	if err != nil {
		return Page{}, fmt.Errorf("strata client: documents of %s: %w", table, err)
	}
	list, _ := x.([]any)
	p := Page{IsDone: out.IsDone, ContinueCursor: out.ContinueCursor, Docs: make([]strata.Doc, 0, len(list))}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return Page{}, fmt.Errorf("strata client: documents of %s: an element is not an object", table)
		}
		if id, ok := m[strata.FieldID].(string); ok {
			m[strata.FieldID] = strata.ID(id)
		}
		p.Docs = append(p.Docs, strata.Doc(m))
	}
	return p, nil
}

// SchemaDiff compares the schema file with the active schema: the
// answer's "diff" object (class, changes, check).
func (c *Client) SchemaDiff(ctx context.Context, file []byte) (json.RawMessage, error) {
	var out struct {
		Diff json.RawMessage `json:"diff"`
	}
	err := c.do(ctx, http.MethodPost, "/api/admin/schema/diff", file, &out)
	return out.Diff, err
}

// PushOptions are the query parameters of SchemaPush.
type PushOptions struct {
	DryRun  bool
	Wait    bool
	Comment string
}

// SchemaPush pushes the schema file (or, with DryRun, reports what a push
// would do): the server's answer as it is.
func (c *Client) SchemaPush(ctx context.Context, file []byte, o PushOptions) (json.RawMessage, error) {
	q := url.Values{"dryRun": {strconv.FormatBool(o.DryRun)}, "wait": {strconv.FormatBool(o.Wait)}}
	if o.Comment != "" {
		q.Set("comment", o.Comment)
	}
	var out json.RawMessage
	err := c.do(ctx, http.MethodPost, "/api/admin/schema/push?"+q.Encode(), file, &out)
	return out, err
}

// Migrations lists the tracked migrations.
func (c *Client) Migrations(ctx context.Context) ([]migrate.Status, error) {
	var out struct {
		Migrations []migrate.Status `json:"migrations"`
	}
	err := c.do(ctx, http.MethodGet, "/api/admin/migrations", nil, &out)
	return out.Migrations, err
}

// Migration returns one migration's status.
func (c *Client) Migration(ctx context.Context, name string) (migrate.Status, error) {
	var out struct {
		Migration migrate.Status `json:"migration"`
	}
	err := c.do(ctx, http.MethodGet, "/api/admin/migrations/"+url.PathEscape(name), nil, &out)
	return out.Migration, err
}

// StartMigration starts the migration file on the server.
func (c *Client) StartMigration(ctx context.Context, file []byte) (migrate.Status, error) {
	var out struct {
		Migration migrate.Status `json:"migration"`
	}
	err := c.do(ctx, http.MethodPost, "/api/admin/migrations", file, &out)
	return out.Migration, err
}

// MigrationAction pauses, resumes, cancels, completes or rolls back
// migration name (action "pause", "resume", "cancel", "complete" or
// "rollback").
func (c *Client) MigrationAction(ctx context.Context, name, action string) (migrate.Status, error) {
	var out struct {
		Migration migrate.Status `json:"migration"`
	}
	err := c.do(ctx, http.MethodPost, "/api/admin/migrations/"+url.PathEscape(name)+"/"+url.PathEscape(action), nil, &out)
	return out.Migration, err
}

// Scheduled lists scheduled functions in the given states (none: all) as
// their _scheduled_functions documents.
func (c *Client) Scheduled(ctx context.Context, states ...string) ([]strata.Doc, error) {
	path := "/api/admin/scheduled"
	if len(states) > 0 {
		path += "?state=" + url.QueryEscape(strings.Join(states, ","))
	}
	var out struct {
		Jobs json.RawMessage `json:"jobs"`
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	x, err := value.ParseConvexJSON(out.Jobs)
	if err != nil {
		return nil, fmt.Errorf("strata client: scheduled functions: %w", err)
	}
	list, _ := x.([]any)
	docs := make([]strata.Doc, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if id, ok := m[strata.FieldID].(string); ok {
				m[strata.FieldID] = strata.ID(id)
			}
			docs = append(docs, strata.Doc(m))
		}
	}
	return docs, nil
}

// CancelJob cancels a pending scheduled function.
func (c *Client) CancelJob(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/api/admin/scheduled/"+url.PathEscape(id)+"/cancel", nil, nil)
}

// Check runs strata check on the server.
func (c *Client) Check(ctx context.Context) (*strata.CheckReport, error) {
	var rep strata.CheckReport
	if err := c.do(ctx, http.MethodPost, "/api/admin/check", nil, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
