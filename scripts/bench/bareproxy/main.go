// Command bareproxy is the floor for scripts/bench.sh: the least a Go
// net/http forwarder can do on the same loopback topology and pinning as the
// gateway (read the body, POST it to the same path upstream with a pooled
// http.Client, copy the answer back flushing after every read). It has no
// auth, routing, parsing or logging, so "floor − direct" is the cost of the
// two extra loopback hops and net/http themselves, and "gateway − floor" is
// what Switchboard adds on top.
package main

import (
	"bytes"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	up := flag.String("upstream", "", "upstream base URL, e.g. http://127.0.0.1:PORT")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		log.Fatal("bareproxy: --addr must be a loopback host:port")
	}
	client := &http.Client{Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true,
	}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		var err error
		if n := r.ContentLength; n > 0 && n <= 64<<20 { // one allocation of the declared size
			body = make([]byte, n)
			if _, err := io.ReadFull(r.Body, body); err != nil {
				return
			}
		} else if body, err = io.ReadAll(r.Body); err != nil {
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, *up+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		fl, _ := w.(http.Flusher)
		buf := make([]byte, 16<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				if fl != nil {
					fl.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	log.Fatal(srv.Serve(ln))
}
