package cli

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestLoadConn: the bench's own client reads net/http's answers of every
// framing — Content-Length, chunked, Connection: close — keeps its
// connection across calls, and reconnects after a close.
func TestLoadConn(t *testing.T) {
	var (
		mu    sync.Mutex
		conns []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns = append(conns, r.RemoteAddr)
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("part one;"))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("x", 5000)))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write(body)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		default:
			w.Write(body)
		}
	}))
	defer srv.Close()
	for _, kind := range []string{"lean", "net/http"} {
		mu.Lock()
		conns = conns[:0]
		mu.Unlock()
		p, err := newPoster(kind, strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			route string
			want  int
		}{{"/echo", 200}, {"/chunked", 200}, {"/echo", 200}, {"/teapot", 418}, {"/close", 200}, {"/echo", 200}} {
			status, err := p.post(c.route, []byte(`{"n":1}`))
			if err != nil || status != c.want {
				t.Fatalf("%s: call %d %s: %d %v, want %d", kind, i, c.route, status, err, c.want)
			}
		}
		p.close()
		mu.Lock()
		// One connection up to the close, a new one after it.
		if conns[0] != conns[4] || conns[4] == conns[5] {
			t.Errorf("%s: connections used: %v", kind, conns)
		}
		mu.Unlock()
	}
	if _, err := newPoster("curl", "x"); err == nil {
		t.Error("an unknown client kind was accepted")
	}
}

// FuzzLoadConnAnswer: any bytes as an answer give a status or an error,
// never a panic.
func FuzzLoadConnAnswer(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	f.Add([]byte("HTTP/1.1 560 x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := &loadConn{r: bufio.NewReader(bytes.NewReader(data))}
		if status, err := l.readAnswer(); err == nil && (status < 0 || status > 999) {
			t.Errorf("status %d without an error", status)
		}
	})
}
