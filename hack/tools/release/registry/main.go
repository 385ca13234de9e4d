// Command registry serves go-containerregistry's OCI registry (pkg/registry) for the release
// tests: on a loopback address only, with the OCI 1.1 referrers API, blobs kept in memory or in
// a directory. The upstream cmd/registry listens on "localhost" and now and then answers with a
// joke Warning header, which clients print; this wrapper does neither.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0: a free port)")
	dir := flag.String("blobs", "", "directory for blobs (default: memory)")
	flag.Parse()

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	opts := []registry.Option{registry.WithReferrersSupport(true)}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o700); err != nil {
			log.Fatal(err)
		}
		opts = append(opts, registry.WithBlobHandler(registry.NewDiskBlobHandler(*dir)))
	}
	// The one line a caller reads to learn the address (port 0 picks a free one).
	fmt.Printf("listening on %s\n", listener.Addr())
	server := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: registry.New(opts...)}
	log.Fatal(server.Serve(listener))
}
