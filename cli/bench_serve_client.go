package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// poster sends one POST and reads its whole answer, reporting the status.
type poster interface {
	post(route string, body []byte) (status int, err error)
	close()
}

// newPoster returns a client of the server at addr (host:port): "lean" is
// loadConn, "net/http" an http.Client with one keep-alive connection.
func newPoster(kind, addr string) (poster, error) {
	switch kind {
	case "lean":
		return &loadConn{addr: addr}, nil
	case "net/http":
		return &httpPoster{base: "http://" + addr, c: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute,
		}}}, nil
	}
	return nil, usageErrorf("--client %q: use lean or net/http", kind)
}

// httpPoster is net/http's client: a reader and a writer goroutine per
// connection, a Request and a Response per call.
type httpPoster struct {
	base string
	c    *http.Client
}

func (p *httpPoster) post(route string, body []byte) (int, error) {
	resp, err := p.c.Post(p.base+route, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

func (p *httpPoster) close() { p.c.CloseIdleConnections() }

// loadConn is the load generator's own HTTP/1.1 client, as wrk's: one
// keep-alive connection used by one goroutine, requests written from
// bytes and answers read with one buffered reader, nothing else. It
// understands what net/http's server sends (a status line, headers, a
// Content-Length or chunked body) and reconnects when the server closes.
type loadConn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
	buf  []byte
}

var errBadAnswer = errors.New("malformed HTTP answer")

func (l *loadConn) post(route string, body []byte) (int, error) {
	if l.c == nil {
		c, err := net.Dial("tcp", l.addr)
		if err != nil {
			return 0, err
		}
		l.c, l.r = c, bufio.NewReaderSize(c, 8<<10)
	}
	b := append(l.buf[:0], "POST "...)
	b = append(b, route...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, l.addr...)
	b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	l.buf = b
	if _, err := l.c.Write(b); err != nil {
		l.close()
		return 0, err
	}
	status, err := l.readAnswer()
	if err != nil {
		l.close()
	}
	return status, err
}

// readAnswer reads one answer: its status and, discarded, its body.
func (l *loadConn) readAnswer() (int, error) {
	line, err := l.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("%w: status line %q", errBadAnswer, line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("%w: status line %q", errBadAnswer, line)
	}
	length, chunked, closing := int64(-1), false, false
	for {
		line, err := l.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, fmt.Errorf("%w: header %q", errBadAnswer, line)
		}
		val = bytes.TrimSpace(val)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(val), 10, 64); err != nil {
				return 0, fmt.Errorf("%w: header %q", errBadAnswer, line)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(val, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(val, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = l.discardChunks()
	case length >= 0:
		_, err = l.r.Discard(int(length))
	default:
		return 0, fmt.Errorf("%w: neither Content-Length nor chunked", errBadAnswer)
	}
	if err == nil && closing {
		l.close()
	}
	return status, err
}

func (l *loadConn) discardChunks() error {
	for {
		line, err := l.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil {
			return fmt.Errorf("%w: chunk size %q", errBadAnswer, line)
		}
		if _, err := l.r.Discard(int(n) + 2); err != nil {
			return err
		}
		if n == 0 {
			return nil // no trailers: net/http sends none here
		}
	}
}

func (l *loadConn) close() {
	if l.c != nil {
		l.c.Close()
		l.c, l.r = nil, nil
	}
}

// postOK is a call that fails unless the answer is 200.
func postOK(p poster, route string, body []byte) error {
	status, err := p.post(route, body)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d", status)
	}
	return err
}
